using System.Globalization;
using Backprop.Data;
using Backprop.NN;
using Backprop.Optim;

namespace Backprop.IO;

/// <summary>
/// A resumable training checkpoint: the model's weights, the optimizer's state, the scheduler's counters, the epoch
/// and step, named generators (dropout masks, augmentation) and a <see cref="DataLoader"/>'s position, in ONE
/// safetensors file (the counterpart of the dict PyTorch users pass to <c>torch.save</c>, e.g.
/// <c>{"model": model.state_dict(), "optimizer": opt.state_dict(), ...}</c>). Tensors are stored under
/// <c>model/</c>, <c>optimizer/state/i/</c>, <c>generator/</c>, <c>loader/</c> and <c>extra/</c>; counters and
/// hyper-parameters as string metadata (doubles in round-trip form), so any safetensors reader can inspect it. One
/// file written by temp + flush + rename means the parts can never come from different steps, and a crash mid-write
/// leaves the previous checkpoint intact.
/// </summary>
public sealed class Checkpoint
{
    /// <summary>The value of the <c>format</c> metadata key.</summary>
    public const string FormatName = "backprop-checkpoint/1";

    private Checkpoint(string path) => Path = path;

    /// <summary>The file this checkpoint was loaded from.</summary>
    public string Path { get; }

    /// <summary>The epoch recorded at save time (e.g. epochs completed).</summary>
    public int Epoch { get; private init; }

    /// <summary>The step (optimizer updates) recorded at save time.</summary>
    public long Step { get; private init; }

    /// <summary>The model's state dict (<c>model.state_dict()</c>).</summary>
    public Dictionary<string, Tensor> ModelState { get; } = [];

    /// <summary>The optimizer's state dict, or null when none was saved.</summary>
    public OptimizerState? OptimizerState { get; private set; }

    /// <summary>The scheduler's state dict, or null when none was saved.</summary>
    public Dictionary<string, double>? SchedulerState { get; private set; }

    /// <summary>Each named generator's state (<see cref="Generator.GetState"/>).</summary>
    public Dictionary<string, Tensor> GeneratorStates { get; } = [];

    /// <summary>The data loader's position, or null when none was saved.</summary>
    public DataLoaderState? LoaderState { get; private set; }

    /// <summary>Extra named tensors saved with the checkpoint (e.g. an EMA of the weights).</summary>
    public Dictionary<string, Tensor> Extra { get; } = [];

    /// <summary>The caller's own string metadata.</summary>
    public Dictionary<string, string> Metadata { get; } = [];

    /// <summary>
    /// Writes a checkpoint atomically (temp file + flush + rename over <paramref name="path"/>). Everything but the model is
    /// optional; <paramref name="generators"/> are saved by name and restored by the same names.
    /// </summary>
    public static void Save(string path, Module model, Optimizer? optimizer = null, IScheduler? scheduler = null, int epoch = 0, long step = 0,
        IReadOnlyDictionary<string, Generator>? generators = null, DataLoader? loader = null,
        IReadOnlyDictionary<string, string>? metadata = null, IReadOnlyDictionary<string, Tensor>? extra = null)
    {
        var tensors = new Dictionary<string, Tensor>();
        var meta = new Dictionary<string, string> { ["format"] = FormatName, ["epoch"] = I(epoch), ["step"] = I(step) };
        foreach (var (k, t) in model.StateDict()) tensors["model/" + k] = t;
        if (optimizer is not null)
        {
            var st = optimizer.StateDict();
            meta["optimizer/groups"] = I(st.ParamGroups.Count);
            for (int g = 0; g < st.ParamGroups.Count; g++)
            {
                var (options, ids) = st.ParamGroups[g];
                meta[$"optimizer/groups/{g}/params"] = string.Join(",", ids.Select(i => I(i)));
                foreach (var (k, v) in options) meta[$"optimizer/groups/{g}/{k}"] = D(v);
            }
            foreach (var (id, s) in st.State)
                foreach (var (k, t) in s) tensors[$"optimizer/state/{id}/{k}"] = t;
        }
        if (scheduler is not null)
        {
            meta["scheduler"] = scheduler.GetType().Name;
            foreach (var (k, v) in scheduler.StateDict()) meta["scheduler/" + k] = D(v);
        }
        foreach (var (name, g) in generators ?? new Dictionary<string, Generator>()) tensors["generator/" + name] = g.GetState();
        if (loader is not null)
        {
            var ls = loader.StateDict();
            tensors["loader/generator"] = ls.GeneratorState;
            meta["loader/position"] = I(ls.Position);
        }
        foreach (var (k, t) in extra ?? new Dictionary<string, Tensor>()) tensors["extra/" + k] = t;
        foreach (var (k, v) in metadata ?? new Dictionary<string, string>()) meta["user/" + k] = v;
        SafeTensors.Save(path, tensors, meta);
    }

    /// <summary>Reads a checkpoint written by <see cref="Save"/>; the errors name the file and the part that is wrong.</summary>
    public static Checkpoint Load(string path)
    {
        var tensors = SafeTensors.Load(path, out var meta);
        if (!meta.TryGetValue("format", out var format) || format != FormatName)
            throw new InvalidDataException($"{path}: not a Backprop training checkpoint (metadata \"format\" is {(format is null ? "missing" : $"\"{format}\"")}, expected \"{FormatName}\"). " +
                "A plain weights file loads with SafeTensors.Load and Module.LoadStateDict.");
        var reader = new MetadataReader(path, meta);
        var c = new Checkpoint(path) { Epoch = (int)reader.Long("epoch"), Step = reader.Long("step") };
        foreach (var (k, t) in tensors)
        {
            int slash = k.IndexOf('/');
            string section = slash < 0 ? k : k[..slash], rest = slash < 0 ? "" : k[(slash + 1)..];
            switch (section)
            {
                case "model": c.ModelState[rest] = t; break;
                case "generator": c.GeneratorStates[rest] = t; break;
                case "extra": c.Extra[rest] = t; break;
                case "optimizer" or "loader": break; // read below
                default: throw new InvalidDataException($"{path}: unexpected tensor \"{k}\" in a checkpoint; the file was not written by Checkpoint.Save.");
            }
        }
        if (meta.ContainsKey("optimizer/groups")) c.OptimizerState = ReadOptimizer(reader, tensors);
        if (meta.ContainsKey("scheduler"))
        {
            c.SchedulerState = [];
            foreach (var k in meta.Keys.Where(k => k.StartsWith("scheduler/", StringComparison.Ordinal)))
                c.SchedulerState[k["scheduler/".Length..]] = reader.Double(k);
        }
        if (tensors.TryGetValue("loader/generator", out var lg)) c.LoaderState = new DataLoaderState(lg, (int)reader.Long("loader/position"));
        foreach (var (k, v) in meta)
            if (k.StartsWith("user/", StringComparison.Ordinal)) c.Metadata[k["user/".Length..]] = v;
        return c;
    }

    /// <summary>
    /// Loads the saved state into the objects of a new run, built the same way as the saved one: the model's weights
    /// (strictly), then whichever of optimizer, scheduler, generators and loader are given. Asking to restore a part
    /// the checkpoint does not hold throws, naming the file.
    /// </summary>
    public void Restore(Module model, Optimizer? optimizer = null, IScheduler? scheduler = null,
        IReadOnlyDictionary<string, Generator>? generators = null, DataLoader? loader = null)
    {
        try
        {
            model.LoadStateDict(ModelState);
            if (optimizer is not null) optimizer.LoadStateDict(OptimizerState ?? throw Missing("optimizer state"));
            if (scheduler is not null) scheduler.LoadStateDict(SchedulerState ?? throw Missing("scheduler state"));
            foreach (var (name, g) in generators ?? new Dictionary<string, Generator>())
                g.SetState(GeneratorStates.TryGetValue(name, out var s) ? s : throw Missing($"generator \"{name}\" (saved: {string.Join(", ", GeneratorStates.Keys)})"));
            if (loader is not null) loader.LoadStateDict(LoaderState ?? throw Missing("data loader position"));
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{Path}: the checkpoint does not fit this run ({e.Message}). Build the model, optimizer and scheduler as in the saved run.", e);
        }
    }

    private InvalidDataException Missing(string what) => new($"{Path}: the checkpoint holds no {what}; save it with Checkpoint.Save to restore it.");

    private static OptimizerState ReadOptimizer(MetadataReader reader, Dictionary<string, Tensor> tensors)
    {
        var st = new OptimizerState();
        int groups = (int)reader.Long("optimizer/groups");
        for (int g = 0; g < groups; g++)
        {
            var prefix = $"optimizer/groups/{g}/";
            var ids = reader.String(prefix + "params").Split(',', StringSplitOptions.RemoveEmptyEntries)
                .Select(s => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i : throw reader.Bad(prefix + "params")).ToList();
            var options = reader.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal) && k != prefix + "params")
                .ToDictionary(k => k[prefix.Length..], reader.Double);
            st.ParamGroups.Add((options, ids));
        }
        foreach (var (k, t) in tensors)
        {
            if (!k.StartsWith("optimizer/state/", StringComparison.Ordinal)) continue;
            var parts = k.Split('/', 4);
            if (parts.Length != 4 || !int.TryParse(parts[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out var id))
                throw new InvalidDataException($"{reader.File}: malformed optimizer tensor name \"{k}\"; expected optimizer/state/INDEX/NAME.");
            if (!st.State.TryGetValue(id, out var s)) st.State[id] = s = [];
            s[parts[3]] = t;
        }
        return st;
    }

    private static string I(long v) => v.ToString(CultureInfo.InvariantCulture);
    private static string D(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Typed access to the string metadata, with errors naming the file and key.</summary>
    private sealed class MetadataReader(string file, Dictionary<string, string> meta)
    {
        public string File => file;
        public IEnumerable<string> Keys => meta.Keys;
        public InvalidDataException Bad(string key) => new($"{file}: checkpoint metadata \"{key}\" = \"{meta.GetValueOrDefault(key)}\" is not valid; the file is corrupt or was edited.");
        public string String(string key) => meta.TryGetValue(key, out var v) ? v : throw new InvalidDataException($"{file}: checkpoint metadata \"{key}\" is missing; the file is corrupt or was not written by Checkpoint.Save.");
        public long Long(string key) => long.TryParse(String(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : throw Bad(key);
        public double Double(string key) => double.TryParse(String(key), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : throw Bad(key);
    }
}
