using System.Globalization;

namespace Backprop.Optim;

/// <summary>
/// What every learning-rate scheduler offers a checkpoint (<c>scheduler.state_dict()</c> / <c>load_state_dict()</c>):
/// its counters as named numbers. Hyper-parameters passed to the constructor are not part of it, and lambdas are not
/// saved (as in PyTorch); the learning rates themselves travel in the optimizer's state dict.
/// </summary>
public interface IScheduler
{
    /// <summary>The current learning rates (<c>scheduler.get_last_lr()</c>).</summary>
    IReadOnlyList<double> LastLr { get; }

    /// <summary>A copy of the scheduler's counters (<c>scheduler.state_dict()</c>).</summary>
    Dictionary<string, double> StateDict();

    /// <summary>Restores counters saved by <see cref="StateDict"/> (<c>scheduler.load_state_dict(state)</c>).</summary>
    void LoadStateDict(IReadOnlyDictionary<string, double> state);
}

/// <summary>Reads scheduler state dicts, naming the missing key.</summary>
internal static class SchedulerStateReader
{
    public static double Get(IReadOnlyDictionary<string, double> state, string key, string owner) =>
        state.TryGetValue(key, out var v) ? v
            : throw new ArgumentException($"{owner}.LoadStateDict: the state has no \"{key}\" (keys: {string.Join(", ", state.Keys)}); was it saved by another kind of scheduler?");

    public static int GetInt(IReadOnlyDictionary<string, double> state, string key, string owner)
    {
        double v = Get(state, key, owner);
        return v == Math.Floor(v) && v >= int.MinValue && v <= int.MaxValue ? (int)v
            : throw new ArgumentException($"{owner}.LoadStateDict: \"{key}\" must be a whole number, got {v.ToString("R", CultureInfo.InvariantCulture)}.");
    }
}

public abstract partial class LRScheduler : IScheduler
{
    /// <summary><c>last_epoch</c> and each group's <c>base_lrs.i</c> (<c>LRScheduler.state_dict()</c>).</summary>
    public Dictionary<string, double> StateDict()
    {
        var d = new Dictionary<string, double> { ["last_epoch"] = LastEpoch };
        for (int i = 0; i < BaseLrs.Count; i++) d[$"base_lrs.{i}"] = BaseLrs[i];
        return d;
    }

    /// <summary>Restores <c>last_epoch</c> and <c>base_lrs</c>; the next <see cref="Step"/> continues from there (<c>load_state_dict</c>).</summary>
    public void LoadStateDict(IReadOnlyDictionary<string, double> state)
    {
        var owner = GetType().Name;
        var baseLrs = new double[BaseLrs.Count];
        for (int i = 0; i < baseLrs.Length; i++) baseLrs[i] = SchedulerStateReader.Get(state, $"base_lrs.{i}", owner);
        if (state.ContainsKey($"base_lrs.{baseLrs.Length}"))
            throw new ArgumentException($"{owner}.LoadStateDict: the state is for more than this optimizer's {baseLrs.Length} parameter groups.");
        LastEpoch = SchedulerStateReader.GetInt(state, "last_epoch", owner);
        BaseLrs = baseLrs;
    }
}

public sealed partial class ReduceLROnPlateau : IScheduler
{
    /// <summary><c>best</c>, <c>num_bad_epochs</c> and <c>cooldown_counter</c> (<c>ReduceLROnPlateau.state_dict()</c>).</summary>
    public Dictionary<string, double> StateDict() => new()
    {
        ["best"] = Best, ["num_bad_epochs"] = NumBadEpochs, ["cooldown_counter"] = cooldownCounter,
    };

    /// <summary>Restores the best metric, the bad-epoch count and the cooldown (<c>load_state_dict</c>).</summary>
    public void LoadStateDict(IReadOnlyDictionary<string, double> state)
    {
        const string owner = nameof(ReduceLROnPlateau);
        double best = SchedulerStateReader.Get(state, "best", owner);
        int bad = SchedulerStateReader.GetInt(state, "num_bad_epochs", owner), cool = SchedulerStateReader.GetInt(state, "cooldown_counter", owner);
        (Best, NumBadEpochs, cooldownCounter) = (best, bad, cool);
    }
}

public sealed partial class SequentialLR : IScheduler
{
    /// <summary><c>last_epoch</c> and each inner scheduler's state under <c>schedulers.i.</c> (<c>SequentialLR.state_dict()</c>).</summary>
    public Dictionary<string, double> StateDict()
    {
        var d = new Dictionary<string, double> { ["last_epoch"] = LastEpoch };
        for (int i = 0; i < schedulers.Length; i++)
            foreach (var (k, v) in schedulers[i].StateDict()) d[$"schedulers.{i}.{k}"] = v;
        return d;
    }

    /// <summary>Restores <c>last_epoch</c> and every inner scheduler (<c>load_state_dict</c>).</summary>
    public void LoadStateDict(IReadOnlyDictionary<string, double> state)
    {
        int last = SchedulerStateReader.GetInt(state, "last_epoch", nameof(SequentialLR));
        for (int i = 0; i < schedulers.Length; i++)
        {
            var prefix = $"schedulers.{i}.";
            schedulers[i].LoadStateDict(state.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
                .ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value));
        }
        LastEpoch = last;
    }
}
