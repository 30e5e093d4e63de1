using System.Text.Json;

namespace Backprop.Cli.Training;

/// <summary>
/// The one validating reader of <c>model.json</c>: every field is checked for presence, type and range (finite scaling,
/// positive standard deviations, lengths that agree with <c>inputs</c>), and the weights are checked against the
/// architecture before any layer is built. Every problem is an <see cref="InvalidDataException"/> naming the file and field.
/// </summary>
internal static class ModelSpecReader
{
    /// <summary>The largest model.json read (a real one is a few kilobytes plus 16 bytes per input feature).</summary>
    public const long MaxBytes = 64 << 20;

    /// <summary>Reads and validates <paramref name="path"/>.</summary>
    public static ModelSpec Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} not found: --model must be a folder written by 'backprop train'", path);
        if (new FileInfo(path).Length > MaxBytes) throw new InvalidDataException($"{path}: {new FileInfo(path).Length} bytes is too large for a model description");
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllBytes(path)); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON ({e.Message.Split('\n')[0]}); it should be the model.json written by 'backprop train'", e); }
        using (doc) return FromJson(doc.RootElement, path);
    }

    /// <summary>Reads and validates model.json text kept elsewhere (a checkpoint's metadata); <paramref name="path"/> names it in errors.</summary>
    public static ModelSpec FromText(string json, string path)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON ({e.Message.Split('\n')[0]}); it should be the model.json written by 'backprop train'", e); }
        using (doc) return FromJson(doc.RootElement, path);
    }

    /// <summary>Builds a <see cref="ModelSpec"/> from a parsed document, checking every field.</summary>
    public static ModelSpec FromJson(JsonElement root, string path)
    {
        if (root.ValueKind != JsonValueKind.Object) throw Bad(path, "the top level", $"is {Kind(root)}, not an object");
        var fields = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var p in root.EnumerateObject())
            if (!fields.TryAdd(p.Name, p.Value)) throw Bad(path, p.Name, "appears twice");

        var spec = new ModelSpec
        {
            Format = Text(fields, "format", path),
            Dataset = Text(fields, "dataset", path),
            DataDir = Optional(fields, "dataDir") is { } dd ? (dd.ValueKind == JsonValueKind.String ? dd.GetString() : throw Bad(path, "dataDir", $"is {Kind(dd)}, not a string or null")) : null,
            LabelColumn = Optional(fields, "labelColumn") is { } lc ? TextOf(lc, "labelColumn", path) : "-1",
            Seed = Optional(fields, "seed") is { } sd ? (sd.ValueKind == JsonValueKind.Number && sd.TryGetInt64(out var s) ? s : throw Bad(path, "seed", "is not a whole number")) : 0,
            Inputs = Int(Required(fields, "inputs", path), "inputs", path, min: 1),
            Activation = Text(fields, "activation", path),
            Hidden = [.. Array(Required(fields, "hidden", path), "hidden", path).Select((e, i) => Int(e, $"hidden[{i}]", path, min: 1))],
            Classes = [.. Array(Required(fields, "classes", path), "classes", path).Select((e, i) => TextOf(e, $"classes[{i}]", path))],
            Mean = Numbers(fields, "mean", path),
            Std = Numbers(fields, "std", path),
            BestEpoch = Optional(fields, "bestEpoch") is { } be ? Int(be, "bestEpoch", path, min: 0) : 0,
            BestValAccuracy = Optional(fields, "bestValAccuracy") is { } ba && ba.ValueKind == JsonValueKind.Number ? ba.GetDouble() : 0,
            Model = Optional(fields, "model") is { } md ? TextOf(md, "model", path) : "mlp", // files written before --model are MLPs
            ImageShape = Optional(fields, "imageShape") is { } im ? [.. Array(im, "imageShape", path).Select((e, i) => Int(e, $"imageShape[{i}]", path, min: 1))] : null,
            InputScaling = Optional(fields, "inputScaling") is { } sc ? TextOf(sc, "inputScaling", path) : ModelSpec.ScalingFormula,
        };
        if (Optional(fields, "hyperparameters") is { ValueKind: JsonValueKind.Object } hp)
            foreach (var p in hp.EnumerateObject()) spec.Hyperparameters[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText();

        if (spec.Hyperparameters.TryGetValue("augment", out var augment) && augment != "none"
            && augment.Split(',').FirstOrDefault(w => w is not ("crop" or "flip")) is string word)
            throw Bad(path, "hyperparameters.augment", $"names '{word}'; it is \"none\" or a list of crop and flip");
        if (spec.Format == ModelSpec.TextFormat) return ReadText(spec, fields, path);
        if (spec.Format != ModelSpec.ClassifierFormat) throw Bad(path, "format", $"is \"{spec.Format}\"; this version reads \"{ModelSpec.ClassifierFormat}\" and \"{ModelSpec.TextFormat}\"");
        if (spec.Dataset.Length == 0) throw Bad(path, "dataset", "is empty");
        if (!new[] { "relu", "sigmoid", "tanh", "gelu" }.Contains(spec.Activation)) throw Bad(path, "activation", $"is \"{spec.Activation}\"; use relu, sigmoid, tanh or gelu");
        if (spec.Classes.Length < 1) throw Bad(path, "classes", "is empty; a classifier needs at least one class");
        if (spec.Mean.Length != spec.Inputs) throw Bad(path, "mean", $"has {spec.Mean.Length} values but inputs is {spec.Inputs}");
        if (spec.Std.Length != spec.Inputs) throw Bad(path, "std", $"has {spec.Std.Length} values but inputs is {spec.Inputs}");
        for (int i = 0; i < spec.Std.Length; i++)
            if (!(spec.Std[i] > 0)) throw Bad(path, $"std[{i}]", $"is {spec.Std[i]}; standard deviations must be positive");
        if (spec.Model != "mlp")
        {
            if (spec.ImageShape is not { Length: 3 } shape) throw Bad(path, "imageShape", spec.ImageShape is null ? $"is missing; the convolutional model \"{Clip(spec.Model)}\" needs [channels, height, width]" : $"has {spec.ImageShape.Length} values; it is [channels, height, width]");
            if ((long)shape[0] * shape[1] * shape[2] != spec.Inputs) throw Bad(path, "imageShape", $"is [{string.Join(", ", shape)}], {(long)shape[0] * shape[1] * shape[2]} values per image, but inputs is {spec.Inputs}");
            try { Cnn.Build(shape, spec.Model, spec.Classes.Length, 0); } // validates the layer spec against the image size
            catch (ArgumentException e) { throw Bad(path, "model", $"is not a network Backprop can build ({e.Message})"); }
        }
        return spec;
    }

    /// <summary>
    /// The rest of a character-level language model's model.json: <c>model</c> lstm or transformer, <c>inputs</c> the context
    /// length, <c>classes</c> the vocabulary (distinct single characters), and the <c>text</c> object's sizes.
    /// </summary>
    private static ModelSpec ReadText(ModelSpec spec, Dictionary<string, JsonElement> fields, string path)
    {
        if (spec.Model is not ("lstm" or "transformer")) throw Bad(path, "model", $"is \"{Clip(spec.Model)}\"; a language model is \"lstm\" or \"transformer\"");
        if (spec.Classes.Length < 1) throw Bad(path, "classes", "is empty; the vocabulary needs at least one character");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < spec.Classes.Length; i++)
        {
            var c = spec.Classes[i];
            if (c.EnumerateRunes().Count() != 1 || !System.Text.Rune.TryGetRuneAt(c, 0, out _)) throw Bad(path, $"classes[{i}]", $"is \"{Clip(c)}\"; each vocabulary entry is one character");
            if (!seen.Add(c)) throw Bad(path, $"classes[{i}]", $"repeats {TextData.Show(c)}; the vocabulary's characters are distinct");
        }
        if (Required(fields, "text", path) is not { ValueKind: JsonValueKind.Object } text) throw Bad(path, "text", "is not an object");
        var t = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var p in text.EnumerateObject())
            if (!t.TryAdd(p.Name, p.Value)) throw Bad(path, "text." + p.Name, "appears twice");
        JsonElement Get(string name) => t.TryGetValue(name, out var e) && e.ValueKind != JsonValueKind.Null ? e
            : throw Bad(path, "text." + name, t.ContainsKey(name) ? "is null" : "is missing");
        spec.Text = new TextModelSpec
        {
            File = Optional(t, "file") is { } f ? TextOf(f, "text.file", path) : null,
            Embed = Int(Get("embed"), "text.embed", path, min: 1),
            Hidden = Int(Get("hidden"), "text.hidden", path, min: 1),
            Layers = Int(Get("layers"), "text.layers", path, min: 1),
            Heads = Int(Get("heads"), "text.heads", path, min: spec.Model == "transformer" ? 1 : 0),
            Dropout = Get("dropout") is { ValueKind: JsonValueKind.Number } d && d.GetDouble() is >= 0 and < 1 and var dv ? dv
                : throw Bad(path, "text.dropout", "is not a number in [0, 1)"),
        };
        if (spec.Model == "transformer" && spec.Text.Embed % spec.Text.Heads != 0)
            throw Bad(path, "text.heads", $"is {spec.Text.Heads}, which does not divide text.embed {spec.Text.Embed}");
        const long MaxParameters = 1L << 30; // a lying size must not allocate a huge model before the weights are checked
        long parameters = (long)spec.Classes.Length * spec.Text.Embed + (long)spec.Text.Layers * spec.Text.Hidden * (spec.Text.Embed + spec.Text.Hidden)
            + (long)spec.Inputs * spec.Text.Embed + (long)spec.Text.Layers * spec.Text.Embed * spec.Text.Embed;
        if (parameters > MaxParameters) throw Bad(path, "text", $"describes a model of about {parameters:N0} parameters, more than this tool builds");
        return spec;
    }

    /// <summary>
    /// Checks that <paramref name="weights"/> hold exactly the tensors <paramref name="spec"/>'s layers need, with their shapes,
    /// and only finite values — before a model of that size is built.
    /// </summary>
    public static void CheckWeights(ModelSpec spec, IReadOnlyDictionary<string, Tensor> weights, string specPath, string weightsPath)
    {
        var expected = new Dictionary<string, int[]>();
        var integers = new HashSet<string>(); // BatchNorm's num_batches_tracked
        if (spec.Model == "mlp")
        {
            int width = spec.Inputs, index = 0;
            foreach (var h in spec.Hidden.Append(spec.Classes.Length))
            {
                expected[$"{index}.weight"] = [h, width];
                expected[$"{index}.bias"] = [h];
                width = h;
                index += 2; // a Linear, then an activation
            }
        }
        else // the reader has already built this network once, so its spec is valid; its tensors are the expected set
            foreach (var (name, t) in spec.Build(0).StateDict())
            {
                expected[name] = t.Shape.ToArray();
                if (t.DType == DType.Int64) integers.Add(name);
            }
        foreach (var (name, shape) in expected)
        {
            if (!weights.TryGetValue(name, out var t))
                throw new InvalidDataException($"{weightsPath} lacks tensor '{name}' that the architecture in {specPath} needs; the two files are not from the same run");
            if (!t.Shape.SequenceEqual(shape))
                throw new InvalidDataException($"{weightsPath}: tensor '{name}' has shape [{string.Join(", ", t.Shape.ToArray())}], but {specPath} describes [{string.Join(", ", shape)}]; the two files are not from the same run");
            if (integers.Contains(name)) continue;
            if (t.DType == DType.Int64) throw new InvalidDataException($"{weightsPath}: tensor '{name}' holds integers; weights are floating point");
            if (!t.ToArray().All(double.IsFinite)) throw new InvalidDataException($"{weightsPath}: tensor '{name}' holds NaN or infinite values; the weights are unusable");
        }
        if (weights.Keys.FirstOrDefault(k => !expected.ContainsKey(k)) is string extra)
            throw new InvalidDataException($"{weightsPath} has tensor '{extra}', which the architecture in {specPath} does not have; the two files are not from the same run");
    }

    private static JsonElement Required(Dictionary<string, JsonElement> fields, string name, string path) =>
        fields.TryGetValue(name, out var e) && e.ValueKind != JsonValueKind.Null ? e : throw Bad(path, name, fields.ContainsKey(name) ? "is null" : "is missing");

    private static JsonElement? Optional(Dictionary<string, JsonElement> fields, string name) =>
        fields.TryGetValue(name, out var e) && e.ValueKind != JsonValueKind.Null ? e : null;

    private static string Text(Dictionary<string, JsonElement> fields, string name, string path) => TextOf(Required(fields, name, path), name, path);

    private static string TextOf(JsonElement e, string name, string path) =>
        e.ValueKind == JsonValueKind.String ? e.GetString()! : throw Bad(path, name, $"is {Kind(e)}, not a string");

    private static int Int(JsonElement e, string name, string path, int min) =>
        e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int v) ? (v >= min ? v : throw Bad(path, name, $"is {v}; it must be at least {min}"))
            : throw Bad(path, name, $"is {Kind(e)}, not a whole number");

    private static IEnumerable<JsonElement> Array(JsonElement e, string name, string path) =>
        e.ValueKind == JsonValueKind.Array ? e.EnumerateArray() : throw Bad(path, name, $"is {Kind(e)}, not an array");

    private static double[] Numbers(Dictionary<string, JsonElement> fields, string name, string path) =>
        [.. Array(Required(fields, name, path), name, path).Select((e, i) =>
            e.ValueKind == JsonValueKind.Number && e.TryGetDouble(out double v) && double.IsFinite(v) ? v : throw Bad(path, $"{name}[{i}]", $"is {Kind(e)}, not a finite number"))];

    private static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Number or JsonValueKind.String => $"{e.ValueKind.ToString().ToLowerInvariant()} {Clip(e.GetRawText())}",
        JsonValueKind.True or JsonValueKind.False => e.GetRawText(),
        var k => k.ToString().ToLowerInvariant() is var s && s is "object" or "array" ? "an " + s : s,
    };

    private static string Clip(string s) => s.Length <= 40 ? s : s[..37] + "...";

    private static InvalidDataException Bad(string path, string field, string problem) =>
        new($"{path}: field '{field}' {problem}; re-run 'backprop train' to write a valid model.json");
}
