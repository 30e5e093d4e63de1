namespace Backprop.Data;

/// <summary>
/// Where a <see cref="DataLoader"/> stands: its shuffling generator's state at the start of the current epoch and the
/// number of batches of that epoch already handed out (0 between epochs). Saved in a checkpoint so that a resumed
/// run sees the same batches in the same order. (PyTorch keeps this in the sampler's generator; torchdata's
/// <c>StatefulDataLoader.state_dict()</c> is the closest counterpart.)
/// </summary>
/// <param name="GeneratorState">The shuffling generator's state (<see cref="Generator.GetState"/>).</param>
/// <param name="Position">Batches of the current epoch already handed out.</param>
public sealed record DataLoaderState(Tensor GeneratorState, int Position);

public sealed partial class DataLoader
{
    private Tensor? epochStart; // generator state before this epoch's permutation, while an epoch is under way
    private int position, resumeAt;

    /// <summary>
    /// The loader's position (torchdata's <c>StatefulDataLoader.state_dict()</c>): mid-epoch, the state the current
    /// epoch's order was drawn from and the batches already handed out; between epochs, the generator's state and 0.
    /// </summary>
    public DataLoaderState StateDict() =>
        epochStart is { } start ? new(start.Clone(), position) : new(generator.GetState(), resumeAt);

    /// <summary>
    /// Restores a position from <see cref="StateDict"/>: the next enumeration draws the same order as the saved epoch
    /// did and starts after the batches already handed out (torchdata's <c>load_state_dict</c>).
    /// </summary>
    public void LoadStateDict(DataLoaderState state)
    {
        if (state.Position < 0 || state.Position > Count)
            throw new ArgumentException($"DataLoader.LoadStateDict: position {state.Position} is outside this loader's {Count} batches per epoch; was the state saved with another dataset or batch size?");
        generator.SetState(state.GeneratorState);
        (epochStart, position, resumeAt) = (null, 0, state.Position);
        if (state.Position == Count && Count > 0)
        {
            // Saved after the last batch but before the epoch closed: finish that epoch's draw, start the next one fresh.
            if (Shuffle) DatasetSplits.Permutation(dataset.Count, generator);
            resumeAt = 0;
        }
    }

    /// <summary>Remembers where this epoch's order comes from; returns the first batch to hand out.</summary>
    private int BeginEpoch()
    {
        epochStart = generator.GetState();
        int first = resumeAt;
        (position, resumeAt) = (first, 0);
        return first;
    }

    private void EndEpoch() => (epochStart, position) = (null, 0);
}
