using System.Diagnostics;
using Backprop.NN;
using Backprop.Optim;

namespace Backprop.Bench;

/// <summary>
/// Where a charlm step goes: forward, backward and Adam of the whole model, then forward + backward of the transformer's
/// parts alone on a [B, T, 128] input (LayerNorm, GELU, self-attention, a feed-forward Linear), in µs per step. With
/// <c>cpuTime</c> (meant for one kernel thread) every figure is this thread's CPU time, and backward is also broken down
/// per autograd node kind ("bwd_" + node name), as <see cref="CnnPhaseProbe"/>.
/// </summary>
public static class CharLmPhaseProbe
{
    public static (string Phase, double Microseconds)[] Run(string work, int steps = 10, bool cpuTime = false)
    {
        Func<long> now = cpuTime ? ThreadCpuClock.Now : () => Stopwatch.GetTimestamp() * (1_000_000_000 / Stopwatch.Frequency);
        var (ids, vocab) = CharLm.LoadText();
        Module model = work == "charlm_lstm" ? new CharLm.LstmLm(vocab) : new CharLm.TransformerLm(vocab);
        var opt = new Adam(model.Parameters(), lr: CharLm.Lr);
        ulong state = 1;
        string[] names = ["forward", "backward", "step"];
        var ns = new long[names.Length];
        var nodes = new CnnPhaseProbe.NodeClock(now);
        Engine.NodeProbe = cpuTime ? nodes : null;
        try
        {
            for (int s = 0; s < steps + 3; s++)
            {
                nodes.Counting = s >= 3;
                if (s == 3) Array.Clear(ns);
                var (x, y) = CharLm.NextBatch(ids, ref state);
                using var scope = new TensorScope();
                opt.ZeroGrad(setToNone: false);
                long t0 = now();
                var loss = Functional.CrossEntropy(model.Forward(x).Reshape([-1, vocab]), y.Reshape([-1]));
                long t1 = now();
                loss.Backward();
                long t2 = now();
                opt.Step();
                long t3 = now();
                ns[0] += t1 - t0; ns[1] += t2 - t1; ns[2] += t3 - t2;
            }
        }
        finally { Engine.NodeProbe = null; }
        var result = names.Select((n, i) => (n, Math.Round(ns[i] / 1000.0 / steps))).ToList();
        result.AddRange(nodes.Totals.OrderByDescending(kv => kv.Value).Select(kv => ("bwd_" + kv.Key, Math.Round(kv.Value / 1000.0 / steps))));
        if (work != "charlm_lstm")
        {
            var g = new Generator(0);
            var h = Tensor.Randn([CharLm.Batch, CharLm.Context, CharLm.TfModel], g).RequiresGrad_();
            var ln = new LayerNorm(CharLm.TfModel);
            var mha = new MultiheadAttention(CharLm.TfModel, CharLm.TfHeads, batchFirst: true, generator: g);
            var lin = new Linear(CharLm.TfModel, CharLm.TfFeedForward, generator: g);
            result.Add(("layernorm_fwd_bwd", Part(() => ln.Forward(h), steps, now)));
            result.Add(("gelu_fwd_bwd", Part(() => h.Gelu(), steps, now)));
            var ff = Tensor.Randn([CharLm.Batch, CharLm.Context, CharLm.TfFeedForward], g).RequiresGrad_();
            result.Add(("gelu512_fwd_bwd", Part(() => ff.Gelu(), steps, now)));
            result.Add(("attention_fwd_bwd", Part(() => mha.Forward(h, h, h, needWeights: false, isCausal: true).Output, steps, now)));
            result.Add(("linear128x512_fwd_bwd", Part(() => lin.Forward(h), steps, now)));
            var q = Tensor.Randn([CharLm.Batch, CharLm.TfHeads, CharLm.Context, CharLm.TfModel / CharLm.TfHeads], g).RequiresGrad_();
            result.Add(("sdpa_causal_fwd_bwd", Part(() => Functional.ScaledDotProductAttention(q, q, q, isCausal: true), steps, now)));
        }
        return [.. result];
    }

    private static double Part(Func<Tensor> f, int steps, Func<long> now)
    {
        long total = 0;
        for (int s = 0; s < steps + 3; s++)
        {
            using var scope = new TensorScope();
            long t0 = now();
            f().Sum().Backward();
            if (s >= 3) total += now() - t0;
        }
        return Math.Round(total / 1000.0 / steps);
    }
}
