using Backprop.NN;
using static Backprop.Tests.Ops.OpsReference;

namespace Backprop.Tests.Ops;

/// <summary>
/// Every op, layer function and loss added by issue #11 against PyTorch 1.13 (tests/reference/ops.json): the output (and
/// indices) and the gradient of sum(output · w) for PyTorch's random w, from the same inputs.
/// </summary>
public class OpsReferenceTests
{
    private static Tensor[] One(Tensor t) => [t];
    private static Tensor[] Two((Tensor A, Tensor B) p) => [p.A, p.B];

    private static readonly Dictionary<string, Func<Tensor[], Tensor[]>> Ops = new()
    {
        ["log1p"] = x => One(x[0].Log1p()),
        ["expm1"] = x => One(x[0].Expm1()),
        ["sin"] = x => One(x[0].Sin()),
        ["cos"] = x => One(x[0].Cos()),
        ["floor"] = x => One(x[0].Floor()),
        ["ceil"] = x => One(x[0].Ceil()),
        ["round"] = x => One(x[0].Round()),
        ["round_float32"] = x => One(x[0].Round()),
        ["reciprocal"] = x => One(x[0].Reciprocal()),
        ["rsqrt"] = x => One(x[0].Rsqrt()),
        ["rsqrt_float32"] = x => One(x[0].Rsqrt()),
        ["pow_tensor"] = x => One(x[0].Pow(x[1])),
        ["pow_tensor_broadcast"] = x => One(x[0].Pow(x[1])),
        ["pow_negative_base_int_exponent"] = x => One(x[0].Pow(x[1])),
        ["pow_int64"] = x => One(x[0].Pow(x[1])),
        ["pow_scalar_base"] = x => One(Tensor.Pow(2.5, x[0])),
        ["clamp_tensor"] = x => One(x[0].Clamp(x[1], x[2])),
        ["clamp_tensor_min_only"] = x => One(x[0].Clamp(min: x[1])),
        ["cumsum_dim0"] = x => One(x[0].CumSum(0)),
        ["cumsum_dim1"] = x => One(x[0].CumSum(-1)),
        ["cumsum_int64"] = x => One(x[0].CumSum(0)),
        ["prod_dim1"] = x => One(x[0].Prod(1)),
        ["prod_dim0_keepdim"] = x => One(x[0].Prod(0, keepDim: true)),
        ["prod_all"] = x => One(x[0].Prod()),
        ["prod_one_zero"] = x => One(x[0].Prod(1)),
        ["prod_two_zeros"] = x => One(x[0].Prod(1)),
        ["prod_int64"] = x => One(x[0].Prod(1)),
        ["norm_p2_all"] = x => One(x[0].Norm()),
        ["norm_p1_dim"] = x => One(x[0].Norm(1, [1])),
        ["norm_p2_dims_keepdim"] = x => One(x[0].Norm(2, [0, 2], keepDim: true)),
        ["norm_inf_dim"] = x => One(x[0].Norm(double.PositiveInfinity, [2])),
        ["norm_inf_ties"] = x => One(x[0].Norm(double.PositiveInfinity, [1])),
        ["norm_fro_dims"] = x => One(x[0].FrobeniusNorm([1, 2])),
        ["norm_p3_dim"] = x => One(x[0].Norm(3, [0])),
        ["norm_p2_zero_row"] = x => One(x[0].Norm(2, [1])),
        ["mean_dims"] = x => One(x[0].Mean([0, 2])),
        ["mean_dims_keepdim"] = x => One(x[0].Mean([1, 2], keepDim: true)),
        ["var_dims"] = x => One(x[0].Var([0, 2])),
        ["var_dims_biased_keepdim"] = x => One(x[0].Var([0, 1], correction: 0, keepDim: true)),
        ["std_dims"] = x => One(x[0].Std([1, 2])),
        ["std_dims_correction0"] = x => One(x[0].Std([0, 2], correction: 0)),
        ["masked_fill"] = x => One(x[0].MaskedFill(x[1], -2.5)),
        ["masked_fill_broadcast"] = x => One(x[0].MaskedFill(x[1], 7.0)),
        ["sort_ascending_ties"] = x => Two(x[0].Sort(1)),
        ["sort_descending_ties"] = x => Two(x[0].Sort(1, descending: true)),
        ["sort_dim0"] = x => Two(x[0].Sort(0)),
        ["sort_int64"] = x => Two(x[0].Sort(0)),
        ["argsort_descending"] = x => One(x[0].ArgSort(-1, descending: true)),
        ["topk_largest"] = x => Two(x[0].TopK(3, 1)),
        ["topk_smallest_dim0"] = x => Two(x[0].TopK(2, 0, largest: false)),
        ["max_dim_with_indices"] = x => Two(x[0].MaxWithIndices(1)),
        ["min_dim_keepdim_with_indices"] = x => Two(x[0].MinWithIndices(0, keepDim: true)),
        ["repeat"] = x => One(x[0].Repeat(2, 3)),
        ["repeat_new_dims"] = x => One(x[0].Repeat(2, 1, 2)),
        ["flip"] = x => One(x[0].Flip(0, 2)),
        ["roll_dim"] = x => One(x[0].Roll(2, 1)),
        ["roll_negative_dims"] = x => One(x[0].Roll([-1, 3], [0, 1])),
        ["roll_flat"] = x => One(x[0].Roll(4)),
        ["tril"] = x => One(x[0].Tril()),
        ["tril_diag_minus1_batched"] = x => One(x[0].Tril(-1)),
        ["triu_diag1"] = x => One(x[0].Triu(1)),
        ["one_hot"] = x => One(Functional.OneHot(x[0], 5)),
        ["one_hot_inferred"] = x => One(Functional.OneHot(x[0])),
        ["pad_constant_last"] = x => One(Functional.Pad(x[0], [1, 2], value: 0.5)),
        ["pad_constant_two_dims"] = x => One(Functional.Pad(x[0], [2, 0, 1, 3])),
        ["pad_constant_negative"] = x => One(Functional.Pad(x[0], [-1, 2, 1, -2], value: -1)),
        ["pad_reflect"] = x => One(Functional.Pad(x[0], [2, 3, 3, 1], PadMode.Reflect)),
        ["pad_replicate"] = x => One(Functional.Pad(x[0], [3, 1, 0, 2], PadMode.Replicate)),
        ["pad_reflect_1d"] = x => One(Functional.Pad(x[0], [2, 1], PadMode.Reflect)),
        ["upsample_scale2"] = x => One(new Upsample(2.0).Forward(x[0])),
        ["upsample_size"] = x => One(new Upsample(size: [5, 7]).Forward(x[0])),
        ["upsample_scale_1_5"] = x => One(Functional.Interpolate(x[0], scaleFactor: [1.5])),
        ["upsample_1d_size"] = x => One(Functional.Interpolate(x[0], size: [7])),
        ["silu"] = x => One(new Silu().Forward(x[0])),
        ["mish"] = x => One(new Mish().Forward(x[0])),
        ["hardtanh"] = x => One(new Hardtanh(-0.5, 1.2).Forward(x[0])),
        ["softsign"] = x => One(new Softsign().Forward(x[0])),
        ["prelu_single"] = x => One(Functional.PRelu(x[0], x[1])),
        ["prelu_channels"] = x => One(Functional.PRelu(x[0], x[1])),
        ["layer_norm"] = x => One(Functional.LayerNorm(x[0], [4, 5], x[1], x[2])),
        ["layer_norm_no_affine_eps"] = x => One(Functional.LayerNorm(x[0], [7], eps: 1e-3)),
        ["group_norm"] = x => One(Functional.GroupNorm(x[0], 2, x[1], x[2])),
        ["group_norm_batch1_no_affine"] = x => One(Functional.GroupNorm(x[0], 3, eps: 1e-4)),
        ["embedding_padding"] = x => One(Functional.Embedding(x[1], x[0], paddingIdx: 2)),
        ["embedding"] = x => One(Functional.Embedding(x[1], x[0])),
        ["kl_div_mean"] = x => One(Functional.KLDiv(x[0], x[1])),
        ["kl_div_sum"] = x => One(Functional.KLDiv(x[0], x[1], Reduction.Sum)),
        ["kl_div_none"] = x => One(Functional.KLDiv(x[0], x[1], Reduction.None)),
        ["kl_div_target_grad"] = x => One(Functional.KLDiv(x[0], x[1], batchMean: true)),
        ["kl_div_batchmean"] = x => One(new KLDivLoss(batchMean: true).Forward(x[0], x[1])),
        ["kl_div_log_target"] = x => One(new KLDivLoss(Reduction.Sum, logTarget: true).Forward(x[0], x[1])),
        ["cosine_embedding_mean"] = x => One(new CosineEmbeddingLoss(0.2).Forward(x[0], x[1], x[2])),
        ["cosine_embedding_none"] = x => One(Functional.CosineEmbeddingLoss(x[0], x[1], x[2], reduction: Reduction.None)),
        ["margin_ranking_mean"] = x => One(new MarginRankingLoss(0.3).Forward(x[0], x[1], x[2])),
        ["margin_ranking_sum"] = x => One(Functional.MarginRankingLoss(x[0], x[1], x[2], reduction: Reduction.Sum)),
        ["cosine_similarity"] = x => One(new CosineSimilarity().Forward(x[0], x[1])),
        ["cosine_similarity_broadcast_tiny"] = x => One(Functional.CosineSimilarity(x[0], x[1], dim: -1)),
        ["log1p_float32"] = x => One(x[0].Log1p()),
        ["expm1_float32"] = x => One(x[0].Expm1()),
        ["sin_float32"] = x => One(x[0].Sin()),
        ["cumsum_float32"] = x => One(x[0].CumSum(1)),
        ["prod_float32"] = x => One(x[0].Prod(0)),
        ["sort_float32"] = x => Two(x[0].Sort(1, descending: true)),
        ["norm_float32"] = x => One(x[0].Norm(2, [1])),
        ["layer_norm_float32"] = x => One(Functional.LayerNorm(x[0], [5], x[1], x[2])),
        ["pad_reflect_float32"] = x => One(Functional.Pad(x[0], [2, 2], PadMode.Reflect)),
    };

    private static IEnumerable<string> CaseNames() => OpsReference.Data.GetProperty("cases").EnumerateArray().Select(c => c.GetProperty("name").GetString()!);

    public static TheoryData<string> Names() => new(CaseNames());

    [Fact]
    public void EveryReferenceCaseHasAnImplementation() => Assert.Equal("", string.Join(", ", CaseNames().Where(n => !Ops.ContainsKey(n))));

    [Theory]
    [MemberData(nameof(Names))]
    public void MatchesPyTorch(string name)
    {
        var c = Case(name);
        var inputs = c.GetProperty("inputs").EnumerateArray().Select(t =>
        {
            var x = OpsReference.Tensor(t);
            return x.DType.IsFloatingPoint() ? x.RequiresGrad_() : x;
        }).ToArray();
        var outputs = Ops[name](inputs);
        bool f32 = outputs[0].DType == DType.Float32;
        double atol = f32 ? 1e-6 : 1e-12, rtol = f32 ? 1e-6 : 1e-10;
        AssertMatches(c.GetProperty("output"), outputs[0], atol, rtol, name + " value");
        if (c.TryGetProperty("indices", out var idx)) AssertMatches(idx, outputs[1], 0, 0, name + " indices");
        if (!c.TryGetProperty("grads", out var grads)) return;
        var w = OpsReference.Tensor(c.GetProperty("weight"));
        var diff = inputs.Where(x => x.RequiresGrad).ToArray();
        var got = Backprop.Autograd.Grad((outputs[0] * w).Sum(), diff, allowUnused: true);
        int k = 0;
        foreach (var (g, i) in grads.EnumerateArray().Select((g, i) => (g, i)))
        {
            if (g.ValueKind == System.Text.Json.JsonValueKind.Null) continue;
            Assert.True(inputs[i].RequiresGrad, $"{name}: input {i} should take a gradient");
            AssertMatches(g, got[k++], atol, rtol, $"{name} grad of input {i}");
        }
    }
}
