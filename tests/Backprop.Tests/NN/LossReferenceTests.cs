using System.Text.Json;
using Backprop.NN;

namespace Backprop.Tests.NN;

/// <summary>Every loss and option: value and gradient against PyTorch (Float64).</summary>
public class LossReferenceTests
{
    private static readonly JsonElement Data = Reference.Load("losses.json");

    public static TheoryData<string> Names() => new(Data.GetProperty("cases").EnumerateArray().Select(c => c.GetProperty("name").GetString()!));

    private static Tensor Named(string name)
    {
        var t = Data.GetProperty("tensors").GetProperty(name);
        var shape = t.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        var data = t.GetProperty("data").Doubles();
        return t.GetProperty("dtype").GetString() == "int64"
            ? Tensor.FromArray(data.Select(v => (long)v).ToArray(), shape)
            : Tensor.FromArray(data, shape);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void MatchesPyTorch(string name)
    {
        var c = Data.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        var args = c.GetProperty("args");
        Tensor? Opt(string k) => args.TryGetProperty(k, out var v) ? Named(v.GetString()!) : null;
        var target = Opt("target")!;
        var reduction = args.GetProperty("reduction").GetString() switch { "mean" => Reduction.Mean, "sum" => Reduction.Sum, _ => Reduction.None };
        var x = Named(c.GetProperty("input").GetString()!).RequiresGrad_();
        var kind = name[..name.IndexOf('_')];
        double D(string k, double d) => args.TryGetProperty(k, out var v) ? v.GetDouble() : d;
        long ignore = args.TryGetProperty("ignore_index", out var ii) ? ii.GetInt64() : -100;
        Loss loss = kind switch
        {
            "mse" => new MseLoss(reduction),
            "l1" => new L1Loss(reduction),
            "huber" => new HuberLoss(reduction, D("delta", 1)),
            "smoothl1" => new SmoothL1Loss(reduction, D("beta", 1)),
            "bce" => new BceLoss(Opt("weight"), reduction),
            "bcelogits" => new BceWithLogitsLoss(Opt("weight"), Opt("pos_weight"), reduction),
            "ce" => new CrossEntropyLoss(Opt("weight"), ignore, reduction, D("label_smoothing", 0)),
            "nll" => new NllLoss(Opt("weight"), ignore, reduction),
            _ => throw new ArgumentException(name),
        };
        var input = args.TryGetProperty("log_softmax_first", out _) ? x.LogSoftmax(1) : x;
        var output = loss.Forward(input, target);
        Assert.Equal(c.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray(), output.Shape.ToArray());
        Reference.AssertClose(c.GetProperty("value").Doubles(), output.ToArray(), 1e-12, 1e-10, name + " value");
        output.Sum().Backward();
        Reference.AssertClose(c.GetProperty("grad").Doubles(), x.Grad!.ToArray(), 1e-12, 1e-10, name + " grad");
    }

    [Fact]
    public void CrossEntropy_Float32LargeLogitsStayFinite()
    {
        var logits = Tensor.FromArray(new float[,] { { 1e4f, -1e4f }, { 0, 3e4f } }).RequiresGrad_();
        var loss = Functional.CrossEntropy(logits, Tensor.FromArray(new long[] { 1, 1 }));
        Assert.True(double.IsFinite(loss.Item()));
        Assert.Equal(1e4, loss.Item(), 0); // (2e4 + 0) / 2
        loss.Backward();
        Assert.All(logits.Grad!.ToArray(), v => Assert.True(double.IsFinite(v)));
    }

    [Fact]
    public void BadTargets_GiveClearErrors()
    {
        var logits = Tensor.Zeros([2, 3]);
        Assert.Contains("target 3", Assert.Throws<ArgumentException>(() => Functional.CrossEntropy(logits, Tensor.FromArray(new long[] { 0, 3 }))).Message);
        Assert.Contains("[2]", Assert.Throws<ArgumentException>(() => Functional.CrossEntropy(logits, Tensor.FromArray(new long[] { 0, 1, 2 }))).Message);
        Assert.Contains("Int64", Assert.Throws<ArgumentException>(() => Functional.NllLoss(logits, Tensor.FromArray(new float[] { 0, 1 }))).Message);
        Assert.Contains("[3, 1]", Assert.Throws<ArgumentException>(() => Functional.MseLoss(Tensor.Zeros([3, 1]), Tensor.Zeros([3]))).Message);
        Assert.Contains("weight", Assert.Throws<ArgumentException>(() => Functional.CrossEntropy(logits, Tensor.FromArray(new long[] { 0, 1 }), weight: Tensor.Ones([2]))).Message);
    }
}
