using Backprop.NN;

namespace Backprop.Tests.NN;

/// <summary>
/// Transformer layers: GradCheck in Float64 (inputs and every parameter), PyTorch's parameter names, TransformerEncoder's
/// deep copies, isCausal against the built mask, and the errors for bad sizes, inputs and masks.
/// </summary>
public class TransformerLayerTests
{
    private static Tensor R(Generator g, params int[] shape) => Tensor.Randn(shape, g, DType.Float64).RequiresGrad_();

    private static TransformerEncoderLayer Encoder(bool normFirst, string activation = "relu", bool batchFirst = false, Generator? g = null) =>
        new(4, 2, 6, 0.0, activation, batchFirst: batchFirst, normFirst: normFirst, generator: g ?? new Generator(1), dtype: DType.Float64);

    [Theory]
    [InlineData(false, "relu", false)]
    [InlineData(true, "gelu", true)]
    public void EncoderLayerGradCheck(bool normFirst, string activation, bool causal)
    {
        var g = new Generator(2);
        var layer = Encoder(normFirst, activation, g: g);
        var padding = Tensor.FromArray(new long[] { 0, 0, 1, 0, 0, 0 }, [2, 3]);
        Tensor[] inputs = [R(g, 3, 2, 4), .. layer.Parameters()];
        Assert.True(GradCheck.Check(x => layer.Forward(x[0], null, padding, causal), inputs));
    }

    [Fact]
    public void DecoderLayerGradCheck()
    {
        var g = new Generator(3);
        var layer = new TransformerDecoderLayer(4, 2, 5, 0.0, "gelu", batchFirst: true, normFirst: true, generator: g, dtype: DType.Float64);
        var memoryPadding = Tensor.FromArray(new long[] { 0, 0, 0, 1, 0, 0, 0, 0 }, [2, 4]);
        Tensor[] inputs = [R(g, 2, 3, 4), R(g, 2, 4, 4), .. layer.Parameters()];
        Assert.True(GradCheck.Check(x => layer.Forward(x[0], x[1], memoryKeyPaddingMask: memoryPadding, tgtIsCausal: true), inputs));
    }

    [Fact]
    public void ParameterNamesArePyTorchs()
    {
        var names = Encoder(false).NamedParameters().Select(p => p.Name).ToArray();
        Assert.Equal(new[]
        {
            "self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight", "self_attn.out_proj.bias",
            "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias", "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias",
        }, names);
        var decoder = new TransformerDecoderLayer(4, 2, 6, bias: false);
        Assert.Equal(new[]
        {
            "self_attn.in_proj_weight", "self_attn.out_proj.weight", "multihead_attn.in_proj_weight", "multihead_attn.out_proj.weight",
            "linear1.weight", "linear2.weight", "norm1.weight", "norm2.weight", "norm3.weight",
        }, decoder.NamedParameters().Select(p => p.Name).ToArray());
    }

    [Fact]
    public void EncoderStackDeepCopiesTheLayer()
    {
        var layer = Encoder(false);
        var encoder = new TransformerEncoder(layer, 3, new LayerNorm(4, dtype: DType.Float64));
        Assert.Equal(3, encoder.NumLayers);
        var names = encoder.NamedParameters().Select(p => p.Name).ToList();
        Assert.Contains("layers.0.self_attn.in_proj_weight", names);
        Assert.Contains("layers.2.linear2.bias", names);
        Assert.Contains("norm.weight", names);
        Assert.Equal(12 * 3 + 2, names.Count);
        // each copy starts with the layer's weights but owns them
        Assert.Equal(layer.Linear1.Weight.ToArray<double>(), encoder.Layers[1].Linear1.Weight.ToArray<double>());
        Assert.NotSame(encoder.Layers[0].Linear1.Weight, encoder.Layers[1].Linear1.Weight);
        using (Backprop.Autograd.NoGrad()) encoder.Layers[0].Linear1.Weight.Fill_(0.5);
        Assert.NotEqual(0.5, encoder.Layers[1].Linear1.Weight.ToArray<double>()[0]);
        Assert.NotEqual(0.5, layer.Linear1.Weight.ToArray<double>()[0]);
    }

    [Fact]
    public void IsCausalEqualsTheSquareSubsequentMask()
    {
        var g = new Generator(4);
        var encoder = new TransformerEncoder(Encoder(true, batchFirst: true, g: g), 2);
        var x = R(g, 2, 5, 4);
        var withMask = encoder.Forward(x, Transformer.GenerateSquareSubsequentMask(5, DType.Float64));
        var causal = encoder.Forward(x, null, null, isCausal: true);
        Reference.AssertClose(withMask.ToArray<double>(), causal.ToArray<double>(), 1e-12, 1e-12, "isCausal vs mask");
    }

    [Fact]
    public void UnbatchedInputEqualsABatchOfOne()
    {
        var g = new Generator(8);
        var layer = Encoder(true, "gelu", batchFirst: true, g: g);
        var x = R(g, 5, 4);
        var padding = Tensor.FromArray(new long[] { 0, 0, 0, 1, 1 }, [5]);
        var unbatched = layer.Forward(x, null, padding, isCausal: true);
        var batched = layer.Forward(x.Unsqueeze(0), null, padding.Unsqueeze(0), isCausal: true);
        Assert.Equal(new[] { 5, 4 }, unbatched.Shape.ToArray());
        Reference.AssertClose(batched.Squeeze(0).ToArray<double>(), unbatched.ToArray<double>(), 1e-14, 1e-14, "unbatched");
    }

    [Fact]
    public void ACausalTransformerLearnsToPredictTheNextToken()
    {
        // tokens 0..4 repeating; position t must predict token t+1 from tokens 0..t only (isCausal)
        var g = new Generator(9);
        var embedding = new Embedding(5, 16, generator: g);
        var encoder = new TransformerEncoder(new TransformerEncoderLayer(16, 2, 32, 0.1, batchFirst: true, normFirst: true, generator: g), 2);
        var head = new Linear(16, 5, generator: g);
        var opt = new Backprop.Optim.Adam([.. embedding.Parameters(), .. encoder.Parameters(), .. head.Parameters()], lr: 0.01);
        var scheduler = Backprop.Optim.LambdaLR.WarmupCosine(opt, 5, 80);
        long[] tokens = Enumerable.Range(0, 4 * 9).Select(i => (long)((i + i / 9) % 5)).ToArray(); // 4 sequences, shifted starts
        var x = Tensor.FromArray(tokens, [4, 9]).Slice(1, 0, 8);
        var y = Tensor.FromArray(tokens, [4, 9]).Slice(1, 1, 9).Reshape([-1]);
        double first = 0, last = 0;
        for (int step = 0; step < 80; step++)
        {
            var logits = head.Forward(encoder.Forward(embedding.Forward(x), null, null, isCausal: true)).Reshape([-1, 5]);
            var loss = Functional.CrossEntropy(logits, y);
            if (step == 0) first = loss.Item<float>();
            last = loss.Item<float>();
            opt.ZeroGrad();
            loss.Backward();
            opt.Step();
            scheduler.Step();
        }
        Assert.True(first > 1.0 && last < 0.1, $"loss {first} → {last}");
    }

    [Fact]
    public void CustomActivationIsUsed()
    {
        var g = new Generator(5);
        var relu = Encoder(false, "relu", g: new Generator(6));
        var custom = new TransformerEncoderLayer(4, 2, 6, 0.0, x => x.Relu(), generator: new Generator(6), dtype: DType.Float64);
        Assert.Equal("custom", custom.ActivationName);
        var x = R(g, 3, 1, 4);
        Assert.Equal(relu.Forward(x).ToArray<double>(), custom.Forward(x).ToArray<double>());
    }

    [Fact]
    public void DropoutOnlyInTraining()
    {
        var g = new Generator(7);
        var layer = new TransformerEncoderLayer(4, 2, 6, 0.5, generator: g, dtype: DType.Float64);
        var x = R(g, 3, 2, 4);
        layer.Eval();
        Assert.Equal(layer.Forward(x).ToArray<double>(), layer.Forward(x).ToArray<double>());
        layer.Train();
        Assert.NotEqual(layer.Forward(x).ToArray<double>(), layer.Forward(x).ToArray<double>());
    }

    [Fact]
    public void BadSizesAreRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => new TransformerEncoderLayer(6, 4));
        Assert.Contains("dModel (6) must be divisible by nhead (4)", e.Message);
        e = Assert.Throws<ArgumentException>(() => new TransformerDecoderLayer(4, 2, activation: "tanh"));
        Assert.Contains("activation should be relu/gelu, not tanh", e.Message);
        Assert.Throws<ArgumentException>(() => new TransformerEncoderLayer(4, 2, dropout: 1.5));
        Assert.Throws<ArgumentException>(() => new TransformerEncoder(Encoder(false), 0));
    }

    [Fact]
    public void BadInputsNameTheShapes()
    {
        var layer = Encoder(false);
        var e = Assert.Throws<ArgumentException>(() => layer.Forward(Tensor.Zeros([2, 3, 4, 4], DType.Float64)));
        Assert.Contains("[2, 3, 4, 4]", e.Message);
        Assert.Contains("[L, N, dModel]", e.Message);
        e = Assert.Throws<ArgumentException>(() => layer.Forward(Tensor.Zeros([3, 2, 5], DType.Float64)));
        Assert.Contains("expected dModel=4", e.Message);
        var x = Tensor.Zeros([3, 2, 4], DType.Float64);
        e = Assert.Throws<ArgumentException>(() => layer.Forward(x, Tensor.Zeros([3, 4], DType.Float64)));
        Assert.Contains("attnMask of shape [3, 4] should be [3, 3]", e.Message);
        e = Assert.Throws<ArgumentException>(() => layer.Forward(x, null, Tensor.Zeros([2, 4], DType.Int64)));
        Assert.Contains("keyPaddingMask of shape [2, 4] should be [2, 3]", e.Message);
        var decoder = new TransformerDecoderLayer(4, 2, 6, dtype: DType.Float64);
        e = Assert.Throws<ArgumentException>(() => decoder.Forward(x, Tensor.Zeros([5, 4], DType.Float64)));
        Assert.Contains("must both be batched or both unbatched", e.Message);
        Assert.Throws<InvalidOperationException>(() => decoder.Forward(x));
    }
}
