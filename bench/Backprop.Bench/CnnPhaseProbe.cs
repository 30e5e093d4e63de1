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

    /// <summary>
    /// Times each phase by the wall clock, or (<paramref name="cpuTime"/>, meant for one kernel thread) by this thread's
    /// CPU time, adding one entry per autograd node kind inside backward ("bwd_" + node name) on the same clock.
    /// </summary>
    public static (string Phase, double Microseconds)[] Run(int batch = 128, int steps = 20, bool cpuTime = false)
    {
        var model = Workloads.CnnModel();
        var opt = new Adam(model.Parameters(), lr: 1e-3);
        var lossFn = new CrossEntropyLoss();
        var g = new Generator(0);
        var x = Tensor.Rand([batch, 1, 28, 28], g);
        var y = Tensor.RandInt(0, 10, [batch], g);
        var names = Enumerable.Range(0, model.Count).Select(i => $"fwd{i}_{model[i].GetType().Name}").Concat(["loss", "backward", "step"]).ToArray();
        Func<long> now = cpuTime ? ThreadCpuClock.Now : () => Stopwatch.GetTimestamp() * (1_000_000_000 / Stopwatch.Frequency);
        var ns = new long[names.Length];
        var bytes = new long[names.Length];
        var nodes = new NodeClock(now);
        bool counting = false;
        void Time(int i, Action a)
        {
            long b0 = GC.GetAllocatedBytesForCurrentThread(), t0 = now();
            a();
            if (counting) { ns[i] += now() - t0; bytes[i] += GC.GetAllocatedBytesForCurrentThread() - b0; }
        }
        Engine.NodeProbe = nodes;
        try
        {
            for (int s = 0; s < steps + 3; s++)
            {
                counting = nodes.Counting = s >= 3;
                using var scope = new TensorScope();
                opt.ZeroGrad(setToNone: false);
                var h = x;
                for (int i = 0; i < model.Count; i++)
                    if (model[i] is Conv2d conv && model.SwapsAt(i + 1)) // as Sequential.Forward: one op, timed as the convolution
                    {
                        Time(i, () => h = conv.ForwardReluMaxPool(h, (MaxPool2d)model[i + 2]));
                        i += 2;
                    }
                    else if (model.SwapsAt(i)) // as Sequential.Forward runs them: the pool with the ReLU fused (timed as the pool)
                    {
                        Time(i + 1, () => h = ((MaxPool2d)model[i + 1]).ForwardRelu(h));
                        i++;
                    }
                    else Time(i, () => h = model[i].Forward(h));
                Tensor loss = h;
                Time(names.Length - 3, () => loss = lossFn.Forward(h, y));
                Time(names.Length - 2, () => loss.Backward());
                Time(names.Length - 1, () => opt.Step());
            }
        }
        finally { Engine.NodeProbe = null; }
        LastBytesPerStep = names.Select((n, i) => (n, (double)(bytes[i] / steps))).ToArray();
        return names.Select((n, i) => (n, Math.Round(ns[i] / 1000.0 / steps)))
            .Concat(nodes.Totals.OrderByDescending(kv => kv.Value).Select(kv => ("bwd_" + kv.Key, Math.Round(kv.Value / 1000.0 / steps)))).ToArray();
    }

    /// <summary>Sums each node kind's backward time (same clock as the phases).</summary>
    internal sealed class NodeClock(Func<long> now) : IBackwardProbe
    {
        public bool Counting;
        public readonly Dictionary<string, long> Totals = [];
        public long Start() => now();
        public void Stop(string name, long start)
        {
            if (Counting) Totals[name] = Totals.GetValueOrDefault(name) + now() - start;
        }
    }
}
