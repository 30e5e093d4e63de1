using System.Diagnostics;
using Backprop.NN;
using Backprop.Optim;

namespace Backprop.Bench;

/// <summary>
/// Where one step of the fmnist_cnn workload spends its time: the forward of each layer, the loss, backward and the
/// optimizer step, in µs per step (batch 128 of random images; the first steps warm up).
/// </summary>
public static class CnnPhaseProbe
{
    public static (string Phase, double Microseconds)[] Run(int batch = 128, int steps = 20)
    {
        var model = Workloads.CnnModel();
        var opt = new Adam(model.Parameters(), lr: 1e-3);
        var lossFn = new CrossEntropyLoss();
        var g = new Generator(0);
        var x = Tensor.Rand([batch, 1, 28, 28], g);
        var y = Tensor.RandInt(0, 10, [batch], g);
        var names = Enumerable.Range(0, model.Count).Select(i => $"fwd{i}_{model[i].GetType().Name}").Concat(["loss", "backward", "step"]).ToArray();
        var clocks = names.Select(_ => new Stopwatch()).ToArray();
        for (int s = 0; s < steps + 3; s++)
        {
            if (s == 3) foreach (var c in clocks) c.Reset();
            using var scope = new TensorScope();
            opt.ZeroGrad(setToNone: false);
            var h = x;
            for (int i = 0; i < model.Count; i++) { clocks[i].Start(); h = model[i].Forward(h); clocks[i].Stop(); }
            clocks[^3].Start(); var loss = lossFn.Forward(h, y); clocks[^3].Stop();
            clocks[^2].Start(); loss.Backward(); clocks[^2].Stop();
            clocks[^1].Start(); opt.Step(); clocks[^1].Stop();
        }
        return names.Select((n, i) => (n, Math.Round(clocks[i].Elapsed.TotalMilliseconds * 1000 / steps))).ToArray();
    }
}
