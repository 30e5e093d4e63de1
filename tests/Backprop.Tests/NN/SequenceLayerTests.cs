using Backprop.NN;

namespace Backprop.Tests.NN;

/// <summary>Names, shapes, initialisation, modes and bad-input errors of the recurrent and attention layers.</summary>
public class SequenceLayerTests
{
    [Fact]
    public void LstmParametersHavePyTorchNamesShapesAndOrder()
    {
        var lstm = new Lstm(3, 4, numLayers: 2, bidirectional: true, generator: new Generator(0));
        var shapes = lstm.NamedParameters().Select(p => $"{p.Name}:{string.Join("x", p.Parameter.Shape.ToArray())}").ToArray();
        string[] expected =
        [
            "weight_ih_l0:16x3", "weight_hh_l0:16x4", "bias_ih_l0:16", "bias_hh_l0:16",
            "weight_ih_l0_reverse:16x3", "weight_hh_l0_reverse:16x4", "bias_ih_l0_reverse:16", "bias_hh_l0_reverse:16",
            "weight_ih_l1:16x8", "weight_hh_l1:16x4", "bias_ih_l1:16", "bias_hh_l1:16",
            "weight_ih_l1_reverse:16x8", "weight_hh_l1_reverse:16x4", "bias_ih_l1_reverse:16", "bias_hh_l1_reverse:16",
        ];
        Assert.Equal(expected, shapes);
        Assert.Equal("Lstm(3, 4, num_layers=2, bidirectional=True)", lstm.ToString());
    }

    [Fact]
    public void GruAndCellsWithoutBiasHaveOnlyWeights()
    {
        Assert.Equal(["weight_ih_l0", "weight_hh_l0"], new Gru(2, 3, bias: false).NamedParameters().Select(p => p.Name));
        Assert.Equal(["weight_ih", "weight_hh"], new GruCell(2, 3, bias: false).NamedParameters().Select(p => p.Name));
        Assert.Equal([9, 2], new GruCell(2, 3).WeightIh.Shape.ToArray());
        Assert.Equal([3, 3], new RnnCell(2, 3).WeightHh.Shape.ToArray());
    }

    [Fact]
    public void InitialisationIsUniformWithinOneOverSqrtHidden()
    {
        var rnn = new Rnn(5, 16, numLayers: 2, generator: new Generator(3));
        var values = rnn.Parameters().SelectMany(p => p.ToArray<double>()).ToArray();
        double bound = 1 / Math.Sqrt(16);
        Assert.All(values, v => Assert.InRange(v, -bound, bound));
        // U(−b, b) has standard deviation b/√3; 1,000+ draws land near it.
        double std = Math.Sqrt(values.Select(v => v * v).Average());
        Assert.InRange(std, 0.9 * bound / Math.Sqrt(3), 1.1 * bound / Math.Sqrt(3));
    }

    [Fact]
    public void OutputShapesFollowBatchFirstAndUnbatchedInput()
    {
        var g = new Generator(1);
        var gru = new Gru(3, 4, numLayers: 2, batchFirst: true, bidirectional: true, generator: g);
        var (o, h) = gru.Forward(Tensor.Randn([2, 5, 3], g), null);
        Assert.Equal([2, 5, 8], o.Shape.ToArray());
        Assert.Equal([4, 2, 4], h.Shape.ToArray());
        var x = Tensor.Randn([5, 3], g);
        var (ou, hu) = gru.Forward(x, null);
        Assert.Equal([5, 8], ou.Shape.ToArray());
        Assert.Equal([4, 4], hu.Shape.ToArray());
        var (ob, hb) = gru.Forward(x.Unsqueeze(0), null);
        Reference.AssertClose(ob.ToArray<double>(), ou.ToArray<double>(), 1e-6, 0, "unbatched output");
        Reference.AssertClose(hb.ToArray<double>(), hu.ToArray<double>(), 1e-6, 0, "unbatched h_n");
        Assert.Equal(ob.ToArray<double>(), new Sequential(gru).Forward(x.Unsqueeze(0)).ToArray<double>());
    }

    [Fact]
    public void LengthsTensorEqualsLengthsArrayAndZeroesPadding()
    {
        var g = new Generator(2);
        var lstm = new Lstm(2, 3, generator: g);
        var x = Tensor.Randn([4, 2, 2], g);
        var (o1, (h1, _)) = lstm.Forward(x, null, Tensor.FromArray(new long[] { 4, 2 }));
        var (o2, (h2, _)) = lstm.Forward(x, null, new[] { 4, 2 });
        Assert.Equal(o1.ToArray<double>(), o2.ToArray<double>());
        Assert.Equal(h1.ToArray<double>(), h2.ToArray<double>());
        Assert.All(o1.Narrow(0, 2, 2).Select(1, 1).ToArray<double>(), v => Assert.Equal(0, v));
        // h_n of the short sequence is its output at its last valid step (t = 1).
        Assert.Equal(o1.Select(0, 1).Select(0, 1).ToArray<double>(), h1.Select(0, 0).Select(0, 1).ToArray<double>());
        // And equals running that sequence alone, cut to its length.
        var (_, (alone, _)) = lstm.Forward(x.Narrow(0, 0, 2).Narrow(1, 1, 1), null);
        Reference.AssertClose(alone.ToArray<double>(), h1.Select(1, 1).ToArray<double>(), 1e-6, 0, "h_n of the short sequence");
    }

    [Fact]
    public void DropoutActsBetweenLayersInTrainingOnly()
    {
        var g = new Generator(4);
        var rnn = new Rnn(3, 5, numLayers: 2, dropout: 0.5, generator: g, dropoutSeed: 9);
        var plain = new Rnn(3, 5, numLayers: 2, generator: g);
        plain.LoadStateDict(rnn.StateDict());
        var x = Tensor.Randn([4, 2, 3], g);
        var train = rnn.Forward(x).ToArray<double>();
        Assert.NotEqual(plain.Forward(x).ToArray<double>(), train);
        rnn.Eval();
        Assert.Equal(plain.Forward(x).ToArray<double>(), rnn.Forward(x).ToArray<double>());
        // A one-layer net has no layer after which to drop.
        var single = new Rnn(3, 5, dropout: 0.5, generator: g);
        var singlePlain = new Rnn(3, 5, generator: g);
        singlePlain.LoadStateDict(single.StateDict());
        Assert.Equal(singlePlain.Forward(x).ToArray<double>(), single.Forward(x).ToArray<double>());
    }

    [Fact]
    public void MultiheadAttentionHasPyTorchNamesAndInitialisation()
    {
        var mha = new MultiheadAttention(8, 2, generator: new Generator(5));
        Assert.Equal(["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"], mha.NamedParameters().Select(p => p.Name));
        Assert.Equal([24, 8], mha.InProjWeight.Shape.ToArray());
        Assert.All(mha.InProjBias!.ToArray<double>(), v => Assert.Equal(0, v));
        Assert.All(mha.OutProj.Bias!.ToArray<double>(), v => Assert.Equal(0, v));
        double xavier = Math.Sqrt(6.0 / (8 + 24));
        Assert.All(mha.InProjWeight.ToArray<double>(), v => Assert.InRange(v, -xavier, xavier));
        var g = new Generator(6);
        var (o, w) = mha.Forward(Tensor.Randn([3, 2, 8], g), Tensor.Randn([5, 2, 8], g), Tensor.Randn([5, 2, 8], g), averageAttnWeights: false);
        Assert.Equal([3, 2, 8], o.Shape.ToArray());
        Assert.Equal([2, 2, 3, 5], w!.Shape.ToArray());
        Reference.AssertClose(Enumerable.Repeat(1.0, 12).ToArray(), w.Sum(-1).ToArray<double>(), 1e-6, 0, "attention weights sum to one");
        var (_, none) = mha.Forward(Tensor.Randn([3, 8], g), Tensor.Randn([5, 8], g), Tensor.Randn([5, 8], g), needWeights: false);
        Assert.Null(none);
    }

    [Fact]
    public void CausalAttentionEqualsAnExplicitLowerTriangle()
    {
        var g = new Generator(7);
        var (q, k, v) = (Tensor.Randn([2, 3, 4], g), Tensor.Randn([2, 5, 4], g), Tensor.Randn([2, 5, 4], g));
        var causal = Functional.ScaledDotProductAttention(q, k, v, isCausal: true);
        var tril = Tensor.FromArray(new long[] { 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0 }, [3, 5]);
        Assert.Equal(Functional.ScaledDotProductAttention(q, k, v, tril).ToArray<double>(), causal.ToArray<double>());
        var additive = Tensor.Where(tril, Tensor.Scalar(0), Tensor.Scalar(double.NegativeInfinity));
        Reference.AssertClose(causal.ToArray<double>(), Functional.ScaledDotProductAttention(q, k, v, additive).ToArray<double>(), 1e-6, 0, "float mask");
    }

    [Fact]
    public void AttentionDropoutIsSeededAndOffInEval()
    {
        var g = new Generator(8);
        var (q, k, v) = (Tensor.Randn([1, 3, 4], g), Tensor.Randn([1, 4, 4], g), Tensor.Randn([1, 4, 4], g));
        var a = Functional.ScaledDotProductAttention(q, k, v, dropoutP: 0.5, generator: new Generator(1));
        var b = Functional.ScaledDotProductAttention(q, k, v, dropoutP: 0.5, generator: new Generator(1));
        Assert.Equal(a.ToArray<double>(), b.ToArray<double>());
        Assert.NotEqual(Functional.ScaledDotProductAttention(q, k, v).ToArray<double>(), a.ToArray<double>());
        Assert.All(Functional.ScaledDotProductAttention(q, k, v, dropoutP: 1).ToArray<double>(), x => Assert.Equal(0, x));
        var mha = new MultiheadAttention(4, 2, dropout: 0.5, generator: g);
        var input = Tensor.Randn([3, 1, 4], g);
        var train = mha.Forward(input).ToArray<double>();
        mha.Eval();
        var eval = mha.Forward(input).ToArray<double>();
        Assert.NotEqual(eval, train);
        Assert.Equal(eval, mha.Forward(input).ToArray<double>());
    }

    [Fact]
    public void UnbatchedInputsEqualABatchOfOne()
    {
        var g = new Generator(9);
        var mha = new MultiheadAttention(4, 2, batchFirst: true, generator: g);
        var (q, k) = (Tensor.Randn([3, 4], g), Tensor.Randn([5, 4], g));
        var padding = Tensor.FromArray(new long[] { 0, 0, 0, 1, 1 });
        var (o, w) = mha.Forward(q, k, k, padding);
        var (ob, wb) = mha.Forward(q.Unsqueeze(0), k.Unsqueeze(0), k.Unsqueeze(0), padding.Unsqueeze(0));
        Assert.Equal([3, 4], o.Shape.ToArray());
        Assert.Equal([3, 5], w!.Shape.ToArray());
        Reference.AssertClose(ob.ToArray<double>(), o.ToArray<double>(), 1e-6, 0, "unbatched attention output");
        Reference.AssertClose(wb!.ToArray<double>(), w.ToArray<double>(), 1e-6, 0, "unbatched attention weights");
        Assert.All(w.Narrow(1, 3, 2).ToArray<double>(), x => Assert.Equal(0, x)); // padded keys get no weight

        var lstm = new Lstm(4, 3, numLayers: 2, generator: g);
        var (h0, c0) = (Tensor.Randn([2, 3], g), Tensor.Randn([2, 3], g));
        var (lo, (lh, lc)) = lstm.Forward(q, (h0, c0));
        var (bo, (bh, bc)) = lstm.Forward(q.Unsqueeze(1), (h0.Unsqueeze(1), c0.Unsqueeze(1)));
        Assert.Equal([3, 3], lo.Shape.ToArray());
        Reference.AssertClose(bo.ToArray<double>(), lo.ToArray<double>(), 1e-6, 0, "unbatched lstm output");
        Reference.AssertClose(bh.ToArray<double>(), lh.ToArray<double>(), 1e-6, 0, "unbatched lstm h_n");
        Reference.AssertClose(bc.ToArray<double>(), lc.ToArray<double>(), 1e-6, 0, "unbatched lstm c_n");
    }

    private static void Throws(Action action, params string[] fragments)
    {
        var e = Assert.Throws<ArgumentException>(action);
        foreach (var f in fragments) Assert.Contains(f, e.Message);
    }

    [Fact]
    public void BadRecurrentInputsNameTheShapes()
    {
        var lstm = new Lstm(3, 4, numLayers: 2);
        Throws(() => lstm.Forward(Tensor.Zeros([2, 2, 2, 3])), "Lstm", "[2, 2, 2, 3]", "2 (unbatched");
        Throws(() => lstm.Forward(Tensor.Zeros([5, 2, 4])), "[5, 2, 4]", "input_size=3");
        Throws(() => lstm.Forward(Tensor.Zeros([5, 2, 3]), (Tensor.Zeros([1, 2, 4]), Tensor.Zeros([2, 2, 4]))), "h0", "[1, 2, 4]", "[2, 2, 4]");
        Throws(() => lstm.Forward(Tensor.Zeros([5, 2, 3]), null, new[] { 6, 2 }), "length 6", "1..5", "[5, 2, 3]");
        Throws(() => lstm.Forward(Tensor.Zeros([5, 2, 3]), null, new[] { 5 }), "1 lengths", "batch of 2");
        Throws(() => new GruCell(3, 2).Forward(Tensor.Zeros([1, 2, 3])), "GruCell", "[1, 2, 3]");
        Throws(() => new RnnCell(3, 2).Forward(Tensor.Zeros([4, 3]), Tensor.Zeros([4, 3])), "hx", "[4, 3]", "[4, 2]");
        Throws(() => new Rnn(3, 2, nonlinearity: "sigmoid"), "sigmoid");
    }

    [Fact]
    public void BadAttentionInputsNameTheShapes()
    {
        Throws(() => new MultiheadAttention(6, 4), "embedDim (6)", "numHeads (4)");
        var mha = new MultiheadAttention(4, 2);
        var x = Tensor.Zeros([3, 2, 4]);
        Throws(() => mha.Forward(Tensor.Zeros([4])), "query", "[4]");
        Throws(() => mha.Forward(x, x, x, attnMask: Tensor.Zeros([3, 4])), "attnMask", "[3, 4]", "[3, 3]");
        Throws(() => mha.Forward(x, x, x, keyPaddingMask: Tensor.Zeros([3, 2])), "keyPaddingMask", "[3, 2]", "[2, 3]");
        var q = Tensor.Zeros([2, 3, 4]);
        Throws(() => Functional.ScaledDotProductAttention(q, Tensor.Zeros([2, 5, 4]), Tensor.Zeros([2, 5, 4]), Tensor.Zeros([3, 4])), "mask", "[3, 4]", "[..., 3, 5]");
        Throws(() => Functional.ScaledDotProductAttention(q, Tensor.Zeros([2, 5, 3]), Tensor.Zeros([2, 5, 4])), "[2, 3, 4]", "[2, 5, 3]");
        Throws(() => Functional.ScaledDotProductAttention(q, q, q, Tensor.Zeros([3, 3]), isCausal: true), "isCausal");
    }
}
