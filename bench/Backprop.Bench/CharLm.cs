using System.Diagnostics;
using System.Globalization;
using Backprop.NN;
using Backprop.Optim;

namespace Backprop.Bench;

/// <summary>
/// The character-level language-model workloads <c>charlm_lstm</c> and <c>charlm_transformer</c>, defined exactly as
/// bench/torch_charlm.py runs them in PyTorch: one training step is a batch of <see cref="Batch"/> windows of
/// <see cref="Context"/> characters, next-character cross-entropy over all B·T positions, Adam (lr <see cref="Lr"/>),
/// dropout 0. The windows' start offsets come from the same 64-bit LCG in both programs, so both see the same batches.
/// </summary>
public static class CharLm
{
    /// <summary>Windows per step (B).</summary>
    public const int Batch = 32;
    /// <summary>Characters per window (T); the targets are the next characters.</summary>
    public const int Context = 64;
    /// <summary>Adam's learning rate (betas 0.9/0.999, eps 1e-8).</summary>
    public const double Lr = 2e-3;
    /// <summary>LSTM: embedding width, hidden size and stacked layers.</summary>
    public const int LstmEmbed = 64, LstmHidden = 256, LstmLayers = 2;
    /// <summary>Transformer: model width, heads, feed-forward width and layers (pre-norm, GELU, learned positions, causal).</summary>
    public const int TfModel = 128, TfHeads = 4, TfFeedForward = 512, TfLayers = 2;
    /// <summary>Steps before the clock starts (JIT warm-up).</summary>
    public const int WarmupSteps = 3;

    /// <summary>Timed steps: 15, or the environment variable BENCH_CHARLM_STEPS (as bench/torch_charlm.py).</summary>
    public static int TimedSteps => int.TryParse(Environment.GetEnvironmentVariable("BENCH_CHARLM_STEPS"), out int n) && n > 0 ? n : 15;

    /// <summary>
    /// The text's characters as ids into its sorted distinct characters, and the vocabulary size: the library's embedded
    /// <see cref="Backprop.Data.Datasets.Coriolanus"/> (src/Backprop/Data/Embedded/coriolanus.txt, 40,036 characters, 58
    /// distinct), or the UTF-8 file named by the environment variable BENCH_CHARLM_TEXT.
    /// </summary>
    public static (long[] Ids, int Vocab) LoadText()
    {
        var path = Environment.GetEnvironmentVariable("BENCH_CHARLM_TEXT");
        var text = path is null ? Backprop.Data.Datasets.Coriolanus() : File.ReadAllText(path);
        var chars = text.Distinct().Order().ToArray();
        var index = chars.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => (long)p.i);
        return (text.Select(c => index[c]).ToArray(), chars.Length);
    }

    /// <summary>
    /// The next batch: inputs and targets [B, T] (Int64). Window starts are (s >> 33) mod (n − T − 1) for the LCG
    /// s ← s·6364136223846793005 + 1442695040888963407 (mod 2⁶⁴), as in bench/torch_charlm.py.
    /// </summary>
    public static (Tensor X, Tensor Y) NextBatch(long[] ids, ref ulong state)
    {
        var x = new long[Batch * Context];
        var y = new long[Batch * Context];
        for (int b = 0; b < Batch; b++)
        {
            state = unchecked(state * 6364136223846793005UL + 1442695040888963407UL);
            int start = (int)((state >> 33) % (ulong)(ids.Length - Context - 1));
            Array.Copy(ids, start, x, b * Context, Context);
            Array.Copy(ids, start + 1, y, b * Context, Context);
        }
        return (Tensor.FromArray(x, [Batch, Context]), Tensor.FromArray(y, [Batch, Context]));
    }

    /// <summary>Trains <paramref name="model"/> for the warm-up and timed steps; returns tokens/s over the timed steps and every step's loss.</summary>
    public static (double TokensPerSecond, double[] Losses) Train(Module model, long[] ids, int vocab)
    {
        int timedSteps = TimedSteps;
        var opt = new Adam(model.Parameters(), lr: Lr);
        ulong state = 12345;
        var losses = new List<double>();
        var clock = new Stopwatch();
        long allocated = 0;
        for (int step = 0; step < WarmupSteps + timedSteps; step++)
        {
            if (step == WarmupSteps) { allocated = GC.GetAllocatedBytesForCurrentThread(); clock.Start(); }
            var (x, y) = NextBatch(ids, ref state);
            using var scope = new TensorScope();
            opt.ZeroGrad(setToNone: false);
            var logits = model.Forward(x); // [B, T, V]
            var loss = Functional.CrossEntropy(logits.Reshape([Batch * Context, vocab]), y.Reshape([Batch * Context]));
            loss.Backward();
            opt.Step();
            losses.Add(loss.Item());
        }
        clock.Stop();
        Workloads.LastAllocatedBytesPerStep = (GC.GetAllocatedBytesForCurrentThread() - allocated) / (double)timedSteps;
        return (timedSteps * Batch * Context / clock.Elapsed.TotalSeconds, losses.ToArray());
    }

    /// <summary>Runs one workload by name and prints its JSON line (tokens/s, ms per step, the loss every 5 steps).</summary>
    public static void Run(string work)
    {
        var (ids, vocab) = LoadText();
        Module model = work == "charlm_lstm" ? new LstmLm(vocab) : new TransformerLm(vocab);
        var (tokensPerSecond, losses) = Train(model, ids, vocab);
        Workloads.Emit(("work", work), ("tokens_per_s", Math.Round(tokensPerSecond)), ("ms_per_step", Math.Round(Batch * Context * 1000 / tokensPerSecond, 1)),
            ("vocab", vocab), ("steps", losses.Length), ("alloc_bytes_per_step", Math.Round(Workloads.LastAllocatedBytesPerStep)),
            ("losses", new JsonArray(losses.Where((_, i) => i % 5 == 0 || i == losses.Length - 1).ToArray())));
    }

    /// <summary>Embedding(V, 64) → LSTM(64, 256, 2 layers, batch first) → Linear(256, V).</summary>
    public sealed class LstmLm(int vocab) : Module
    {
        private readonly Embedding embed = new(vocab, LstmEmbed, generator: new Generator(1));
        private readonly Lstm lstm = new(LstmEmbed, LstmHidden, LstmLayers, batchFirst: true, generator: new Generator(2));
        private readonly Linear head = new(LstmHidden, vocab, generator: new Generator(3));

        /// <inheritdoc/>
        public override Tensor Forward(Tensor input) => head.Forward(lstm.Forward(embed.Forward(input)));
    }

    /// <summary>
    /// Token + learned position embeddings (V → 128) → 2 <see cref="TransformerEncoderLayer"/>s (pre-norm, 4 heads, ff 512,
    /// GELU, dropout 0, causal through isCausal: no mask tensor) → LayerNorm → Linear(128, V).
    /// </summary>
    public sealed class TransformerLm : Module
    {
        private readonly Embedding tokens, positions;
        private readonly TransformerEncoderLayer[] layers;
        private readonly LayerNorm norm = new(TfModel);
        private readonly Linear head;
        private readonly Tensor positionIds;

        /// <summary>Creates the model for <paramref name="vocab"/> characters.</summary>
        public TransformerLm(int vocab)
        {
            tokens = new Embedding(vocab, TfModel, generator: new Generator(1));
            positions = new Embedding(Context, TfModel, generator: new Generator(2));
            layers = [.. Enumerable.Range(0, TfLayers).Select(i => new TransformerEncoderLayer(TfModel, TfHeads, TfFeedForward, dropout: 0, activation: "gelu",
                batchFirst: true, normFirst: true, generator: new Generator(10 + i)))];
            for (int i = 0; i < layers.Length; i++) RegisterModule($"layers.{i}", layers[i]);
            head = new Linear(TfModel, vocab, generator: new Generator(3));
            positionIds = Tensor.FromArray(Enumerable.Range(0, Context).Select(i => (long)i).ToArray(), [1, Context]);
        }

        /// <inheritdoc/>
        public override Tensor Forward(Tensor input)
        {
            var h = tokens.Forward(input) + positions.Forward(positionIds);
            foreach (var layer in layers) h = layer.Forward(h, null, isCausal: true);
            return head.Forward(norm.Forward(h));
        }
    }

    /// <summary>A JSON array of numbers (printed by <see cref="Workloads.Json"/> through ToString).</summary>
    public readonly record struct JsonArray(double[] Values)
    {
        /// <inheritdoc/>
        public override string ToString() => "[" + string.Join(", ", Values.Select(v => Math.Round(v, 4).ToString(CultureInfo.InvariantCulture))) + "]";
    }
}
