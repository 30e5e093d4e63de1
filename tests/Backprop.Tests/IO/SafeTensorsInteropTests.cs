using Backprop.IO;
using Backprop.NN;

namespace Backprop.Tests.IO;

/// <summary>
/// Weights both ways with PyTorch, from the files tests/reference/make_interop.py writes with torch and a
/// standard-library safetensors writer: the same MLP gives the same outputs here, Backprop writes the same bytes
/// (F32, F16 and BF16), and every stored dtype loads as the value torch gives it.
/// </summary>
public sealed class SafeTensorsInteropTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("backprop-st-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static string Ref(string file) => Path.Combine(AppContext.BaseDirectory, "reference", "interop", file);

    /// <summary>The PyTorch model of make_interop.py's <c>mlp()</c>, layer for layer.</summary>
    internal static Sequential Mlp() => new(new Linear(8, 16), new Relu(), new Linear(16, 12), new Gelu(), new Dropout(0.2),
        new Linear(12, 12), new Tanh(), new Linear(12, 4), new Softmax(-1));

    [Theory]
    [InlineData("mlp.safetensors", "y")]
    [InlineData("mlp_f16.safetensors", "y_f16")]
    [InlineData("mlp_bf16.safetensors", "y_bf16")]
    public void PyTorchMlp_GivesPyTorchsOutputs(string weights, string output)
    {
        var model = Mlp();
        model.LoadStateDict(SafeTensors.Load(Ref(weights)));
        model.Eval();
        var io = SafeTensors.Load(Ref("mlp_io.safetensors"));
        var y = model.Forward(io["x"]);
        Assert.Equal(io[output].Shape.ToArray(), y.Shape.ToArray());
        Reference.AssertClose(io[output].ToArray<double>(), y.ToArray<double>(), 1e-5, 0, weights);
    }

    /// <summary>The PyTorch model of make_interop.py's <c>cnn()</c>: conv, BatchNorm, pooling and linear layers.</summary>
    internal static Sequential Cnn() => new(new Conv2d(1, 4, 3, padding: 1), new BatchNorm2d(4), new Relu(), new MaxPool2d(2),
        new Conv2d(4, 6, 3, padding: 1), new Relu(), new AvgPool2d(2), new Flatten(), new Linear(24, 5));

    [Fact]
    public void PyTorchCnn_WithBatchNormStatistics_GivesPyTorchsOutputs()
    {
        var model = Cnn();
        var state = SafeTensors.Load(Ref("cnn.safetensors"));
        Assert.Equal(DType.Int64, state["1.num_batches_tracked"].DType);
        model.LoadStateDict(state);
        Assert.Equal(3, model.StateDict()["1.num_batches_tracked"].Item()); // three training-mode passes in PyTorch
        model.Eval();
        var io = SafeTensors.Load(Ref("cnn_io.safetensors"));
        var y = model.Forward(io["x"]);
        Assert.Equal(io["y"].Shape.ToArray(), y.Shape.ToArray());
        Reference.AssertClose(io["y"].ToArray<double>(), y.ToArray<double>(), 1e-5, 0, "cnn");
    }

    [Theory]
    [InlineData("mlp.safetensors", null)]
    [InlineData("mlp_f16.safetensors", SafeTensorsDType.F16)]
    [InlineData("mlp_bf16.safetensors", SafeTensorsDType.BF16)]
    public void Save_WritesTheBytesTheSpecWriterWrites(string expectedFile, SafeTensorsDType? floatAs)
    {
        var weights = SafeTensors.Load(Ref("mlp.safetensors"), out var meta);
        var path = Path.Combine(dir, "out.safetensors");
        SafeTensors.Save(path, weights, meta, floatAs);
        Assert.Equal(File.ReadAllBytes(Ref(expectedFile)), File.ReadAllBytes(path));
    }

    [Theory]
    [InlineData("f16", DType.Float32)] [InlineData("bf16", DType.Float32)] [InlineData("i32", DType.Int64)] [InlineData("u8", DType.Int64)]
    [InlineData("i8", DType.Int64)] [InlineData("i16", DType.Int64)] [InlineData("bool", DType.Int64)]
    public void Load_WidensEveryStoredDType_ToTorchsValues(string name, DType dtype)
    {
        var t = SafeTensors.Load(Ref("dtypes.safetensors"));
        var expected = t["expected/" + name];
        Assert.Equal(dtype, t[name].DType);
        Assert.Equal(expected.Shape.ToArray(), t[name].Shape.ToArray());
        Assert.Equal(expected.ToArray<double>(), t[name].ToArray<double>());
    }

    [Theory]
    [InlineData(SafeTensorsDType.F16, "expected/f64_as_f16")]
    [InlineData(SafeTensorsDType.BF16, "expected/f64_as_bf16")]
    public void Save_NarrowsLikeTorch_IncludingInfinityAndSubnormals(SafeTensorsDType floatAs, string expected)
    {
        var t = SafeTensors.Load(Ref("dtypes.safetensors"));
        var path = Path.Combine(dir, "narrow.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["f"] = t["f64"] }, floatAs: floatAs);
        Assert.Equal(t[expected].ToArray<float>(), SafeTensors.Load(path)["f"].ToArray<float>());
    }

    [Fact]
    public void Load_Uses64BitOffsets_PastTwoGigabytes()
    {
        // A sparse file: one 3-float tensor stored 2^31 + 16 bytes into the data section (allowed by our reader; the
        // bytes before it are a hole, so the test writes 12 bytes, not 2 GiB).
        long begin = (1L << 31) + 16;
        var header = System.Text.Encoding.UTF8.GetBytes($"{{\"x\":{{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[{begin},{begin + 12}]}}}}");
        var path = Path.Combine(dir, "far.safetensors");
        using (var f = File.Create(path))
        {
            f.Write(BitConverter.GetBytes((ulong)header.Length));
            f.Write(header);
            f.Position = 8 + header.Length + begin;
            foreach (var v in new[] { 1.5f, -2f, 3.25f }) f.Write(BitConverter.GetBytes(v));
        }
        Assert.Equal(new[] { 1.5f, -2f, 3.25f }, SafeTensors.Load(path)["x"].ToArray<float>());
    }

    [Fact]
    public void Load_TruncatedOrUnknownDType_NamesTheFile()
    {
        var path = Path.Combine(dir, "cut.safetensors");
        var bytes = File.ReadAllBytes(Ref("mlp.safetensors"));
        File.WriteAllBytes(path, bytes[..^10]);
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("truncated", e.Message);

        var odd = Path.Combine(dir, "odd.safetensors");
        var header = "{\"x\":{\"dtype\":\"F8_E4M3\",\"shape\":[1],\"data_offsets\":[0,1]}}"u8.ToArray();
        File.WriteAllBytes(odd, [.. BitConverter.GetBytes((ulong)header.Length), .. header, 0]);
        var f = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(odd));
        Assert.Contains(odd, f.Message);
        Assert.Contains("F8_E4M3", f.Message);
    }
}
