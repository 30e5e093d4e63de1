namespace Backprop;

public sealed partial class Generator
{
    /// <summary>Number of 64-bit words in a <see cref="GetState"/> tensor.</summary>
    public const int StateLength = 6;

    /// <summary>
    /// The generator's full state as an Int64 tensor of <see cref="StateLength"/> words (<c>torch.Generator.get_state()</c>,
    /// which returns a ByteTensor): the four xoshiro256** words, the cached Box–Muller normal's bits and whether it is cached.
    /// <see cref="SetState"/> with it makes this or another generator continue the same sequence.
    /// </summary>
    public Tensor GetState()
    {
        lock (gate)
            return Tensor.FromArray(new[]
            {
                (long)s0, (long)s1, (long)s2, (long)s3, BitConverter.DoubleToInt64Bits(spareNormal), hasSpare ? 1L : 0L,
            });
    }

    /// <summary>Restores a state from <see cref="GetState"/> (<c>torch.Generator.set_state(state)</c>); returns this generator.</summary>
    public Generator SetState(Tensor state)
    {
        if (state.DType != DType.Int64 || state.Numel != StateLength)
            throw new ArgumentException($"Generator.SetState: expected an Int64 tensor of {StateLength} words from Generator.GetState, got a {state.DType} tensor of shape {state.ShapeString}.");
        var w = state.ToArray<long>();
        if (w[0] == 0 && w[1] == 0 && w[2] == 0 && w[3] == 0)
            throw new ArgumentException("Generator.SetState: the state is all zeros, which xoshiro256** can never reach; the saved state is corrupt.");
        if (w[5] is not (0 or 1)) throw new ArgumentException($"Generator.SetState: word 5 (normal cached) must be 0 or 1, got {w[5]}; the saved state is corrupt.");
        lock (gate)
        {
            (s0, s1, s2, s3) = ((ulong)w[0], (ulong)w[1], (ulong)w[2], (ulong)w[3]);
            spareNormal = BitConverter.Int64BitsToDouble(w[4]);
            hasSpare = w[5] == 1;
        }
        return this;
    }
}
