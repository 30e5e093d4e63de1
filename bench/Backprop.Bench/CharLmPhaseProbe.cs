using System.Diagnostics;
using Backprop.NN;
using Backprop.Optim;

namespace Backprop.Bench;

/// <summary>
/// Where a charlm step goes: forward, backward and Adam of the whole model, then forward + backward of the transformer's
/// parts alone on a [B, T, 128] input (LayerNorm, GELU, self-attention, a feed-forward Linear), in µs per step.
/// </summary>
public static class CharLmPhaseProbe
{
    public static (string Phase, double Microseconds)[] Run(string work, int steps = 10)
    {
        var (ids, vocab) = CharLm.LoadText();
        Module model = work == "charlm_lstm" ? new CharLm.LstmLm(vocab) : new CharLm.TransformerLm(vocab);
        var opt = new Adam(model.Parameters(), lr: CharLm.Lr);
        ulong state = 1;
        string[] names = ["forward", "backward", "step"];
        var clocks = names.Select(_ => new Stopwatch()).ToArray();
        for (int s = 0; s < steps + 3; s++)
        {
            if (s == 3) foreach (var c in clocks) c.Reset();
            var (x, y) = CharLm.NextBatch(ids, ref state);
            using var scope = new TensorScope();
            opt.ZeroGrad(setToNone: false);
            clocks[0].Start();
            var loss = Functional.CrossEntropy(model.Forward(x).Reshape([-1, vocab]), y.Reshape([-1]));
            clocks[0].Stop(); clocks[1].Start(); loss.Backward(); clocks[1].Stop();
            clocks[2].Start(); opt.Step(); clocks[2].Stop();
        }
        var result = names.Select((n, i) => (n, Math.Round(clocks[i].Elapsed.TotalMilliseconds * 1000 / steps))).ToList();
        if (work != "charlm_lstm")
        {
            var g = new Generator(0);
            var h = Tensor.Randn([CharLm.Batch, CharLm.Context, CharLm.TfModel], g).RequiresGrad_();
            var ln = new LayerNorm(CharLm.TfModel);
            var mha = new MultiheadAttention(CharLm.TfModel, CharLm.TfHeads, batchFirst: true, generator: g);
            var lin = new Linear(CharLm.TfModel, CharLm.TfFeedForward, generator: g);
            result.Add(("layernorm_fwd_bwd", Part(() => ln.Forward(h), steps)));
            result.Add(("gelu_fwd_bwd", Part(() => h.Gelu(), steps)));
            result.Add(("attention_fwd_bwd", Part(() => mha.Forward(h, h, h, needWeights: false, isCausal: true).Output, steps)));
            result.Add(("linear128x512_fwd_bwd", Part(() => lin.Forward(h), steps)));
            var q = Tensor.Randn([CharLm.Batch, CharLm.TfHeads, CharLm.Context, CharLm.TfModel / CharLm.TfHeads], g).RequiresGrad_();
            result.Add(("sdpa_causal_fwd_bwd", Part(() => Functional.ScaledDotProductAttention(q, q, q, isCausal: true), steps)));
        }
        return [.. result];
    }

    private static double Part(Func<Tensor> f, int steps)
    {
        var clock = new Stopwatch();
        for (int s = 0; s < steps + 3; s++)
        {
            if (s == 3) clock.Reset();
            using var scope = new TensorScope();
            clock.Start();
            f().Sum().Backward();
            clock.Stop();
        }
        return Math.Round(clock.Elapsed.TotalMilliseconds * 1000 / steps);
    }
}
