using System.Text.Json;
using Backprop.NN;

namespace Backprop.Tests.NN;

/// <summary>
/// Transformer encoder/decoder layers and stacks against PyTorch 1.13's outputs and gradients (tests/reference/transformer.json
/// from make_transformer_reference.py, float64, dropout 0, training mode). Weights come in through PyTorch's state-dict names.
/// </summary>
public class TransformerReferenceTests
{
    private static readonly JsonElement Data = Reference.Load("transformer.json");

    public static TheoryData<string> Cases(string group) => Reference.Cases(Data, group);

    private static JsonElement Case(string name) => Reference.Case(Data, name);

    private static Tensor Load(JsonElement e, bool integral = false) => Reference.Tensor(e, integral);

    private static Tensor? Mask(JsonElement c, string key, string? kind = null) =>
        c.TryGetProperty(key, out var e) ? Load(e, integral: kind is null or "bool") : null;

    private static double[] Values(JsonElement c, string key) => Load(c.GetProperty(key)).ToArray<double>();

    private static void CheckGradients(JsonElement c, Module m, string name)
    {
        var grads = c.GetProperty("grad_state");
        var parameters = m.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        Assert.Equal(grads.EnumerateObject().Select(p => p.Name).Order(), parameters.Keys.Order());
        foreach (var p in grads.EnumerateObject())
            Reference.AssertClose(Load(p.Value).ToArray<double>(), parameters[p.Name].Grad!.ToArray<double>(), 1e-11, 1e-9, $"{name} grad of {p.Name}");
    }

    private static void LoadState(Module m, JsonElement c) =>
        m.LoadStateDict(c.GetProperty("state").EnumerateObject().ToDictionary(p => p.Name, p => Load(p.Value)));

    private static void CheckOutput(JsonElement c, Tensor output, string name)
    {
        var expected = Load(c.GetProperty("out"));
        Assert.Equal(expected.Shape.ToArray(), output.Shape.ToArray());
        Reference.AssertClose(expected.ToArray<double>(), output.ToArray<double>(), 1e-11, 1e-9, $"{name} output");
        (output * Load(c.GetProperty("up"))).Sum().Backward();
    }

    [Theory]
    [MemberData(nameof(Cases), "encoder")]
    public void EncoderMatchesPyTorch(string name)
    {
        var c = Case(name);
        var a = c.GetProperty("args");
        string? maskKind = a.GetProperty("mask").GetString();
        // A causal case runs twice: with PyTorch's float mask and with isCausal and no mask.
        foreach (bool useIsCausal in maskKind == "causal" ? new[] { false, true } : [false])
        {
            var layer = new TransformerEncoderLayer(a.GetProperty("d_model").GetInt32(), a.GetProperty("nhead").GetInt32(),
                a.GetProperty("dim_feedforward").GetInt32(), 0.0, a.GetProperty("activation").GetString()!,
                batchFirst: a.GetProperty("batch_first").GetBoolean(), normFirst: a.GetProperty("norm_first").GetBoolean(), dtype: DType.Float64);
            int layers = a.GetProperty("layers").GetInt32();
            Module m = layers == 0 ? layer
                : new TransformerEncoder(layer, layers, a.GetProperty("final_norm").GetBoolean() ? new LayerNorm(6, dtype: DType.Float64) : null);
            LoadState(m, c);
            var x = Load(c.GetProperty("x")).RequiresGrad_();
            var mask = useIsCausal ? null : Mask(c, "mask", maskKind);
            var kpm = Mask(c, "key_padding_mask");
            var output = m is TransformerEncoder enc ? enc.Forward(x, mask, kpm, useIsCausal) : layer.Forward(x, mask, kpm, useIsCausal);
            string what = $"{name}{(useIsCausal ? " (isCausal)" : "")}";
            CheckOutput(c, output, what);
            Reference.AssertClose(Values(c, "grad_x"), x.Grad!.ToArray<double>(), 1e-11, 1e-9, $"{what} grad of x");
            CheckGradients(c, m, what);
        }
    }

    [Theory]
    [MemberData(nameof(Cases), "decoder")]
    public void DecoderMatchesPyTorch(string name)
    {
        var c = Case(name);
        var a = c.GetProperty("args");
        string? tgtKind = a.GetProperty("tgt_mask").GetString();
        foreach (bool useIsCausal in tgtKind == "causal" ? new[] { false, true } : [false])
        {
            var layer = new TransformerDecoderLayer(a.GetProperty("d_model").GetInt32(), a.GetProperty("nhead").GetInt32(),
                a.GetProperty("dim_feedforward").GetInt32(), 0.0, a.GetProperty("activation").GetString()!,
                batchFirst: a.GetProperty("batch_first").GetBoolean(), normFirst: a.GetProperty("norm_first").GetBoolean(), dtype: DType.Float64);
            int layers = a.GetProperty("layers").GetInt32();
            Module m = layers == 0 ? layer
                : new TransformerDecoder(layer, layers, a.GetProperty("final_norm").GetBoolean() ? new LayerNorm(6, dtype: DType.Float64) : null);
            LoadState(m, c);
            var tgt = Load(c.GetProperty("x")).RequiresGrad_();
            var memory = Load(c.GetProperty("memory")).RequiresGrad_();
            var tgtMask = useIsCausal ? null : Mask(c, "tgt_mask", tgtKind);
            var memoryMask = Mask(c, "memory_mask", a.GetProperty("memory_mask").GetString());
            var tkp = Mask(c, "tgt_key_padding_mask");
            var mkp = Mask(c, "memory_key_padding_mask");
            var output = m is TransformerDecoder dec
                ? dec.Forward(tgt, memory, tgtMask, memoryMask, tkp, mkp, tgtIsCausal: useIsCausal)
                : layer.Forward(tgt, memory, tgtMask, memoryMask, tkp, mkp, tgtIsCausal: useIsCausal);
            string what = $"{name}{(useIsCausal ? " (isCausal)" : "")}";
            CheckOutput(c, output, what);
            Reference.AssertClose(Values(c, "grad_x"), tgt.Grad!.ToArray<double>(), 1e-11, 1e-9, $"{what} grad of tgt");
            Reference.AssertClose(Values(c, "grad_memory"), memory.Grad!.ToArray<double>(), 1e-11, 1e-9, $"{what} grad of memory");
            CheckGradients(c, m, what);
        }
    }

    [Fact]
    public void SquareSubsequentMaskMatchesPyTorch()
    {
        var expected = Load(Case("square_subsequent_mask").GetProperty("out"));
        var mask = Transformer.GenerateSquareSubsequentMask(4, DType.Float64);
        Assert.Equal(expected.Shape.ToArray(), mask.Shape.ToArray());
        Assert.Equal(expected.ToArray<double>(), mask.ToArray<double>());
    }
}
