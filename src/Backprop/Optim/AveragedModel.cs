using Backprop.NN;

namespace Backprop.Optim;

/// <summary>
/// Running average of a model's weights for evaluation (<c>torch.optim.swa_utils.AveragedModel</c>): an equal average
/// (SWA) by default, or an exponential moving average with <c>emaDecay</c> (PyTorch's <c>get_ema_multi_avg_fn</c>):
/// avg ← decay·avg + (1−decay)·θ. The first update copies the weights. <see cref="CopyTo"/> loads the average into a
/// model of the same architecture.
/// </summary>
public sealed class AveragedModel
{
    private readonly double? emaDecay;
    private Dictionary<string, Tensor>? average;

    /// <summary>Creates the average; call <see cref="UpdateParameters"/> after each optimizer step (or epoch).</summary>
    public AveragedModel(double? emaDecay = null)
    {
        if (emaDecay is < 0 or > 1) throw new ArgumentException($"AveragedModel: emaDecay must be in [0, 1], got {emaDecay}.");
        this.emaDecay = emaDecay;
    }

    /// <summary>Number of updates averaged (<c>n_averaged</c>).</summary>
    public int NumAveraged { get; private set; }

    /// <summary>Folds the model's current weights into the average (<c>update_parameters</c>).</summary>
    public void UpdateParameters(Module model)
    {
        using var noGrad = Autograd.NoGrad();
        var current = model.StateDict();
        if (average is null)
        {
            average = current.ToDictionary(kv => kv.Key, kv => kv.Value.Clone().DetachFromScope());
        }
        else
        {
            foreach (var (name, p) in current)
            {
                var avg = average[name];
                if (avg.Storage.Allocator != p.Storage.Allocator) average[name] = avg = avg.To(p.Storage.Allocator).DetachFromScope(); // loaded elsewhere: follows the model
                if (emaDecay is double d) avg.Mul_(d).Add_(p, 1 - d);
                else avg.Add_((p - avg) / (NumAveraged + 1));
            }
        }
        NumAveraged++;
    }

    /// <summary>The averaged weights by parameter name.</summary>
    public IReadOnlyDictionary<string, Tensor> StateDict() =>
        average ?? throw new InvalidOperationException("AveragedModel: no weights averaged yet; call UpdateParameters first.");

    /// <summary>
    /// Restores an average saved from <see cref="StateDict"/> and <see cref="NumAveraged"/>, so averaging continues where
    /// it stopped (<c>AveragedModel.load_state_dict</c>, whose state holds <c>n_averaged</c>).
    /// </summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> averaged, int numAveraged)
    {
        if (numAveraged < 0) throw new ArgumentException($"AveragedModel.LoadStateDict: numAveraged must be non-negative, got {numAveraged}.");
        average = numAveraged == 0 ? null : averaged.ToDictionary(kv => kv.Key, kv => kv.Value.Clone().DetachFromScope());
        NumAveraged = numAveraged;
    }

    /// <summary>Loads the averaged weights into <paramref name="target"/> (same architecture).</summary>
    public void CopyTo(Module target) => target.LoadStateDict(StateDict());
}
