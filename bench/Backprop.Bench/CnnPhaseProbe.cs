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
    /// <summary>Bytes the calling thread allocated per step in each phase of the last <see cref="Run"/>.</summary>
    public static (string Phase, double Bytes)[] LastBytesPerStep { get; private set; } = [];

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
        var bytes = new long[names.Length];
        void Time(int i, Action a) { long b0 = GC.GetAllocatedBytesForCurrentThread(); clocks[i].Start(); a(); clocks[i].Stop(); bytes[i] += GC.GetAllocatedBytesForCurrentThread() - b0; }
        for (int s = 0; s < steps + 3; s++)
        {
            if (s == 3) { foreach (var c in clocks) c.Reset(); Array.Clear(bytes); }
            using var scope = new TensorScope();
            opt.ZeroGrad(setToNone: false);
            var h = x;
            for (int i = 0; i < model.Count; i++) Time(i, () => h = model[i].Forward(h));
            Tensor loss = h;
            Time(names.Length - 3, () => loss = lossFn.Forward(h, y));
            Time(names.Length - 2, () => loss.Backward());
            Time(names.Length - 1, () => opt.Step());
        }
        LastBytesPerStep = names.Select((n, i) => (n, (double)(bytes[i] / steps))).ToArray();
        return names.Select((n, i) => (n, Math.Round(clocks[i].Elapsed.TotalMilliseconds * 1000 / steps))).ToArray();
    }
}
