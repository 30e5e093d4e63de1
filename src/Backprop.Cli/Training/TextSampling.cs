namespace Backprop.Cli.Training;

/// <summary>
/// Sampling text from a character-level language model (<c>backprop generate</c>): the prompt is fed once, then each next
/// character is drawn from softmax(logits / temperature), restricted to the <c>topK</c> most likely characters when given,
/// with a seeded <see cref="Generator"/>, so the same seed gives the same text.
/// </summary>
internal static class TextSampling
{
    /// <summary>The <paramref name="length"/> characters that follow <paramref name="prompt"/> (indices into the vocabulary).</summary>
    public static List<int> Continue(ICharModel model, IReadOnlyList<long> prompt, int length, double temperature, int? topK, long seed)
    {
        if (prompt.Count == 0) throw new ArgumentException("TextSampling: the prompt needs at least one character.");
        var g = new Generator(seed);
        var result = new List<int>(length);
        using var noGrad = Autograd.NoGrad();
        var sampler = model.StartSampling();
        var logits = length > 0 ? sampler.Feed(prompt) : [];
        for (int i = 0; i < length; i++)
        {
            int next = Pick(logits, temperature, topK, g);
            result.Add(next);
            if (i + 1 < length) logits = sampler.Feed([next]);
        }
        return result;
    }

    /// <summary>
    /// Draws an index from softmax(<paramref name="logits"/> / <paramref name="temperature"/>), keeping only logits at least
    /// the <paramref name="topK"/>-th largest (ties at the boundary stay in, as with <c>torch.topk</c> filtering).
    /// </summary>
    public static int Pick(IReadOnlyList<double> logits, double temperature, int? topK, Generator g)
    {
        if (!(temperature > 0) || !double.IsFinite(temperature)) throw new ArgumentException($"temperature must be a finite number above 0, got {temperature}.");
        int n = logits.Count;
        double threshold = double.NegativeInfinity;
        if (topK is int k && k < n) threshold = logits.OrderDescending().ElementAt(k - 1);
        double max = logits.Where(v => v >= threshold).Max();
        var weights = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            weights[i] = logits[i] >= threshold ? Math.Exp((logits[i] - max) / temperature) : 0;
            sum += weights[i];
        }
        double u = g.NextDouble() * sum;
        int last = 0;
        for (int i = 0; i < n; i++)
        {
            if (weights[i] == 0) continue;
            last = i;
            u -= weights[i];
            if (u < 0) return i;
        }
        return last; // rounding left u ≥ 0 after the last kept weight
    }
}
