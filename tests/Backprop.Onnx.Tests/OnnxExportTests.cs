using Backprop.IO;
using Backprop.NN;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Backprop.Tests.IO;

/// <summary>
/// Exported models run in the real ONNX Runtime (Microsoft.ML.OnnxRuntime) and give Backprop's outputs to 1e-5: the
/// PyTorch MLP of tests/reference/make_interop.py (so also PyTorch's outputs), every other translated layer, a
/// batch size other than the sample's, and the input standardization folded into the graph.
/// </summary>
public sealed class OnnxExportTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("backprop-onnx-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    /// <summary>Runs the ONNX file on <paramref name="x"/> in ONNX Runtime; returns the output and its shape.</summary>
    internal static (float[] Values, int[] Shape) RunOnnx(string path, Tensor x)
    {
        using var session = new InferenceSession(path);
        var input = new DenseTensor<float>(x.ToArray<float>(), x.Shape.ToArray());
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", input)]);
        var output = results.Single(r => r.Name == "output").AsTensor<float>();
        return (output.ToArray(), output.Dimensions.ToArray());
    }

    private static void AssertClose(float[] expected, float[] actual, double tol)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol, $"element {i}: ONNX Runtime gives {actual[i]:R}, expected {expected[i]:R}");
    }

    private static Tensor Random(int[] shape, long seed)
    {
        var g = new Generator(seed);
        return Tensor.FromArray(Enumerable.Range(0, shape.Aggregate(1, (a, b) => a * b)).Select(_ => (float)g.NextNormal()).ToArray()).Reshape(shape);
    }

    [Fact]
    public void PyTorchMlp_RunsInOnnxRuntime_WithPyTorchsOutputs()
    {
        var model = new Sequential(new Linear(8, 16), new Relu(), new Linear(16, 12), new Gelu(), new Dropout(0.2),
            new Linear(12, 12), new Tanh(), new Linear(12, 4), new Softmax(-1));
        var interop = Path.Combine(AppContext.BaseDirectory, "reference", "interop");
        model.LoadStateDict(SafeTensors.Load(Path.Combine(interop, "mlp.safetensors")));
        var io = SafeTensors.Load(Path.Combine(interop, "mlp_io.safetensors"));
        var path = Path.Combine(dir, "mlp.onnx");
        Onnx.Export(model, io["x"].Narrow(0, 0, 1), path); // a one-row sample; the graph takes any batch size
        Assert.True(model.IsTraining, "export must leave the model's mode as it was");

        var (values, shape) = RunOnnx(path, io["x"]);
        Assert.Equal(new[] { 6, 4 }, shape);
        model.Eval();
        AssertClose(model.Forward(io["x"]).ToArray<float>(), values, 1e-5);
        AssertClose(io["y"].ToArray<float>(), values, 1e-5);
    }

    [Fact]
    public void EveryOtherLayer_MatchesBackprop()
    {
        var g = new Generator(3);
        var model = new Sequential(
            new Flatten(), new Linear(6, 10, generator: g), new LeakyRelu(0.2), new Linear(10, 10, generator: g), new Elu(0.7),
            new Sequential(new Linear(10, 10, generator: g), new Gelu("tanh")), new Softplus(2, 20), new Identity(),
            new Linear(10, 10, generator: g), new Sigmoid(), new Linear(10, 5, generator: g), new LogSoftmax(1));
        var path = Path.Combine(dir, "layers.onnx");
        Onnx.Export(model, Random([2, 2, 3], 1), path);
        var x = Random([7, 2, 3], 2);
        model.Eval();
        var (values, shape) = RunOnnx(path, x);
        Assert.Equal(new[] { 7, 5 }, shape);
        AssertClose(model.Forward(x).ToArray<float>(), values, 1e-5);
    }

    [Fact]
    public void LinearAboveRankTwo_AndPartialFlatten_MatchBackprop()
    {
        var g = new Generator(4);
        var model = new Sequential(new Linear(3, 4, generator: g), new Relu(), new Flatten(0, 1), new Linear(4, 2, generator: g));
        var path = Path.Combine(dir, "rank3.onnx");
        var x = Random([5, 2, 3], 5);
        Onnx.Export(model, x, path);
        var (values, shape) = RunOnnx(path, x);
        Assert.Equal(new[] { 10, 2 }, shape);
        AssertClose(model.Forward(x).ToArray<float>(), values, 1e-5);
    }

    [Fact]
    public void Standardization_IsFoldedIn_AsTheFirstNodes()
    {
        var g = new Generator(6);
        var model = new Sequential(new Linear(3, 4, generator: g), new Tanh(), new Linear(4, 2, generator: g), new Softmax(-1));
        double[] mean = [1, -2, 0.5], std = [2, 0.25, 1];
        var path = Path.Combine(dir, "scaled.onnx");
        var raw = Random([4, 3], 7) * 3;
        Onnx.Export(model, raw, path, mean, std);
        var scaled = (raw - Tensor.FromArray(mean).To(DType.Float32)) / Tensor.FromArray(std).To(DType.Float32);
        AssertClose(model.Forward(scaled).ToArray<float>(), RunOnnx(path, raw).Values, 1e-5);
    }

    [Fact]
    public void Cnn_FromFlatRows_MatchesBackprop()
    {
        // The CLI's CNN shape: rows unflattened to images, conv/pool layers of every translated kind, then linear.
        var g = new Generator(9);
        var model = new Sequential(new Unflatten(1, [2, 9, 8]),
            new Conv2d(2, 4, 3, padding: 1, generator: g), new BatchNorm2d(4), new Relu(), new MaxPool2d(2, ceilMode: true),
            new Conv2d(4, 6, (2, 3), padding: "same", dilation: (2, 1), groups: 2, generator: g), new Relu(),
            new AvgPool2d(3, stride: 2, padding: 1, countIncludePad: false), new Conv2d(6, 6, 1, stride: 1, generator: g),
            new MaxPool2d(2, stride: 1, padding: 1, dilation: 2), new AdaptiveAvgPool2d(1), new Flatten(), new Linear(6, 3, generator: g));
        using (Autograd.NoGrad()) model.Forward(Random([6, 144], 15)); // training steps move BatchNorm's running statistics away from 0 and 1
        model.Forward(Random([6, 144], 16));
        var path = Path.Combine(dir, "cnn.onnx");
        Onnx.Export(model, Random([1, 144], 10), path);
        var x = Random([5, 144], 11);
        model.Eval();
        var (values, shape) = RunOnnx(path, x);
        Assert.Equal(new[] { 5, 3 }, shape);
        AssertClose(model.Forward(x).ToArray<float>(), values, 1e-5);
    }

    [Fact]
    public void Conv1dAndPools1d_MatchBackprop()
    {
        var g = new Generator(12);
        var model = new Sequential(new Conv1d(3, 4, 3, stride: 2, padding: 1, generator: g), new Tanh(), new MaxPool1d(2, ceilMode: true),
            new Conv1d(4, 4, 4, padding: "same", groups: 2, generator: g), new AvgPool1d(2, padding: 1, countIncludePad: false), new Flatten());
        var path = Path.Combine(dir, "conv1d.onnx");
        Onnx.Export(model, Random([1, 3, 17], 13), path);
        var x = Random([4, 3, 17], 14);
        model.Eval();
        AssertClose(model.Forward(x).ToArray<float>(), RunOnnx(path, x).Values, 1e-5);
    }

    [Fact]
    public void LayerNorm_MatchesBackprop()
    {
        var g = new Generator(17);
        var norm = new LayerNorm([3, 4]);
        using (Autograd.NoGrad()) { norm.Weight!.Copy_(Random([3, 4], 18)); norm.Bias!.Copy_(Random([3, 4], 19)); }
        var model = new Sequential(new Linear(5, 12, generator: g), new Unflatten(1, [3, 4]), norm, new Flatten(), new Linear(12, 2, generator: g),
            new LayerNorm(2, elementwiseAffine: false));
        var path = Path.Combine(dir, "layernorm.onnx");
        Onnx.Export(model, Random([1, 5], 20), path);
        var x = Random([6, 5], 21);
        model.Eval();
        AssertClose(model.Forward(x).ToArray<float>(), RunOnnx(path, x).Values, 1e-5);
    }

    [Fact]
    public void Embedding_TakesInt64Indices_AndMatchesBackprop()
    {
        var g = new Generator(22);
        var model = new Sequential(new Embedding(11, 4, paddingIdx: 0, generator: g), new LayerNorm(4), new Flatten(), new Linear(12, 3, generator: g));
        var sample = Tensor.FromArray(new long[,] { { 1, 2, 3 } });
        var path = Path.Combine(dir, "embedding.onnx");
        Onnx.Export(model, sample, path);
        var idx = Tensor.FromArray(new long[,] { { 0, 5, 10 }, { 7, 7, 1 } });
        model.Eval();
        using var session = new InferenceSession(path);
        var input = new DenseTensor<long>(idx.ToArray<long>(), [2, 3]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", input)]);
        var output = results.Single(r => r.Name == "output").AsTensor<float>().ToArray();
        AssertClose(model.Forward(idx).ToArray<float>(), output, 1e-5);
        var e = Assert.Throws<ArgumentException>(() => Onnx.Export(new Sequential(new Linear(3, 2)), sample, Path.Combine(dir, "bad.onnx")));
        Assert.Contains("starts with an Embedding", e.Message);
    }

    private sealed class Custom : Module
    {
        public override Tensor Forward(Tensor input) => input * 2;
    }

    [Fact]
    public void UnsupportedLayer_IsNamed_AndNoFileIsWritten()
    {
        var model = new Sequential(new Linear(3, 3), new Custom());
        var path = Path.Combine(dir, "bad.onnx");
        var e = Assert.Throws<NotSupportedException>(() => Onnx.Export(model, Random([1, 3], 8), path));
        Assert.Contains("'1' (Custom)", e.Message);
        Assert.Contains("Supported:", e.Message);
        Assert.False(File.Exists(path));
    }
}
