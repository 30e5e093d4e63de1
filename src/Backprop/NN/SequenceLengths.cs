namespace Backprop.NN;

/// <summary>
/// The valid length of each sequence in a padded batch, given to <see cref="Rnn"/>, <see cref="Lstm"/> and
/// <see cref="Gru"/> in place of PyTorch's <c>pack_padded_sequence</c>/<c>pad_packed_sequence</c> pair. It converts
/// implicitly from an <c>int[]</c> or a 1-D integer tensor (PyTorch's <c>lengths</c>), in any order (as
/// <c>enforce_sorted=False</c>). The layer then gives what the packed round trip gives with <c>total_length</c> equal to
/// the padded length: outputs past each sequence's end are zero and h_n (c_n) is the state at its last valid step.
/// </summary>
public readonly struct SequenceLengths
{
    private readonly int[] values;

    /// <summary>Wraps the lengths (copied).</summary>
    public SequenceLengths(IEnumerable<int> lengths) => values = lengths.ToArray();

    /// <summary>The lengths, one per sequence of the batch.</summary>
    public IReadOnlyList<int> Values => values ?? [];

    /// <summary>From an array of lengths.</summary>
    public static implicit operator SequenceLengths(int[] lengths) => new(lengths);

    /// <summary>From a 1-D integer tensor (Int64, as PyTorch's lengths tensor).</summary>
    public static implicit operator SequenceLengths(Tensor lengths)
    {
        if (lengths.Rank != 1 || lengths.DType.IsFloatingPoint())
            throw new ArgumentException($"lengths must be a 1-D Int64 tensor, got shape {lengths.ShapeString} of dtype {lengths.DType}.");
        return new(lengths.ToArray<long>().Select(v => (int)Math.Clamp(v, int.MinValue, int.MaxValue)));
    }

    /// <summary>Checks the lengths against a batch of <paramref name="batch"/> sequences padded to <paramref name="steps"/>.</summary>
    internal int[] Check(int batch, int steps, string op, string inputShape)
    {
        var v = values ?? [];
        if (v.Length != batch)
            throw new ArgumentException($"{op}: got {v.Length} lengths for a batch of {batch} sequences (input of shape {inputShape}).");
        for (int i = 0; i < v.Length; i++)
            if (v[i] < 1 || v[i] > steps)
                throw new ArgumentException($"{op}: length {v[i]} of sequence {i} is outside 1..{steps}, the sequence length of the input of shape {inputShape}.");
        return v;
    }
}
