using System.Text.Json;
using Backprop.Optim;

namespace Backprop.Tests.Optim;

/// <summary>Each optimizer with each option, 25 steps on a small fixed problem, against PyTorch's trajectory.</summary>
public class OptimizerReferenceTests
{
    private static readonly JsonElement Data = Reference.Load("optimizers.json");

    public static TheoryData<int, string> Cases()
    {
        var data = new TheoryData<int, string>();
        int i = 0;
        foreach (var c in Data.GetProperty("cases").EnumerateArray())
            data.Add(i++, $"{c.GetProperty("optimizer").GetString()} {c.GetProperty("options")} {c.GetProperty("dtype").GetString()}{(c.TryGetProperty("groups", out _) ? " groups" : "")}");
        return data;
    }

    internal static Optimizer Create(string name, IReadOnlyList<Tensor> ps, JsonElement o)
    {
        double D(string k, double d) => o.TryGetProperty(k, out var v) ? v.GetDouble() : d;
        bool B(string k) => o.TryGetProperty(k, out var v) && v.GetBoolean();
        (double, double)? betas = o.TryGetProperty("betas", out var bt) ? (bt[0].GetDouble(), bt[1].GetDouble()) : null;
        return name switch
        {
            "sgd" => new Sgd(ps, lr: D("lr", 1e-3), momentum: D("momentum", 0), dampening: D("dampening", 0), weightDecay: D("weight_decay", 0), nesterov: B("nesterov"), maximize: B("maximize")),
            "adagrad" => new Adagrad(ps, lr: D("lr", 1e-2), lrDecay: D("lr_decay", 0), weightDecay: D("weight_decay", 0), initialAccumulatorValue: D("initial_accumulator_value", 0), eps: D("eps", 1e-10), maximize: B("maximize")),
            "rmsprop" => new RmsProp(ps, lr: D("lr", 1e-2), alpha: D("alpha", 0.99), eps: D("eps", 1e-8), weightDecay: D("weight_decay", 0), momentum: D("momentum", 0), centered: B("centered"), maximize: B("maximize")),
            "adam" => new Adam(ps, lr: D("lr", 1e-3), betas: betas, eps: D("eps", 1e-8), weightDecay: D("weight_decay", 0), amsgrad: B("amsgrad"), maximize: B("maximize")),
            "adamw" => new AdamW(ps, lr: D("lr", 1e-3), betas: betas, eps: D("eps", 1e-8), weightDecay: D("weight_decay", 1e-2), amsgrad: B("amsgrad"), maximize: B("maximize")),
            _ => throw new ArgumentException(name),
        };
    }

    internal static (Tensor X, Tensor Y, Tensor W, Tensor B) Problem(DType dtype)
    {
        var p = Data.GetProperty("problem");
        Tensor T(string k, int[] shape) => Tensor.FromArray(p.GetProperty(k).Doubles(), shape).To(dtype);
        return (T("X", [8, 4]), T("Y", [8, 3]), T("W", [3, 4]).RequiresGrad_(), T("b", [3]).RequiresGrad_());
    }

    internal static Tensor LossOf(Tensor x, Tensor y, Tensor w, Tensor b)
    {
        var d = Tensor.Linear(x, w, b).Tanh() - y;
        return (d * d).Mean();
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesPyTorchTrajectory(int index, string description)
    {
        var c = Data.GetProperty("cases")[index];
        var dtype = c.GetProperty("dtype").GetString() == "float64" ? DType.Float64 : DType.Float32;
        var (x, y, w, b) = Problem(dtype);
        var name = c.GetProperty("optimizer").GetString()!;
        Optimizer opt;
        if (c.TryGetProperty("groups", out var groups))
        {
            opt = Create(name, [w], c.GetProperty("options"));
            opt.ParamGroups[0].Lr = groups[0].GetProperty("lr").GetDouble();
            opt.AddParamGroup([b], groups[1].EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble()));
        }
        else opt = Create(name, [w, b], c.GetProperty("options"));

        double atol = dtype == DType.Float64 ? 1e-12 : 1e-6;
        int step = 0;
        foreach (var expected in c.GetProperty("trajectory").EnumerateArray())
        {
            opt.ZeroGrad();
            LossOf(x, y, w, b).Backward();
            opt.Step();
            step++;
            Reference.AssertClose(expected.Doubles(), [.. w.ToArray(), .. b.ToArray()], atol, 0, $"{description}, step {step}");
        }
        Assert.Equal(25, step);
    }
}
