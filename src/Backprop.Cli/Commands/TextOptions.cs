using System.CommandLine;
using System.CommandLine.Parsing;
using Backprop.Cli.Training;

namespace Backprop.Cli.Commands;

/// <summary>
/// The options of <c>train --dataset text</c> (a character-level language model), their checks in the validation layer, and the
/// model.json and data they make.
/// </summary>
internal sealed class TextOptions
{
    /// <summary>The language models <c>--model</c> accepts with <c>--dataset text</c>.</summary>
    public static readonly string[] Models = ["lstm", "transformer"];

    public Option<string?> File { get; } = new("--file") { Description = "the UTF-8 text a character-level model trains on, with --dataset text (default: the embedded opening of Shakespeare's Coriolanus, 40 KB)" };
    public Option<int> Context { get; } = new Option<int>("--context") { Description = "characters per training window (the transformer's longest input), with --dataset text", DefaultValueFactory = _ => DefaultContext }.AtLeast(1, 4096);
    public Option<int> Embedding { get; } = new Option<int>("--embedding") { Description = "character embedding size (the transformer's model width), with --dataset text", DefaultValueFactory = _ => DefaultEmbedding }.AtLeast(1, 4096);
    public Option<int> Hidden { get; } = new Option<int>("--hidden") { Description = "LSTM hidden size, or the transformer's feed-forward size, with --dataset text", DefaultValueFactory = _ => DefaultHidden }.AtLeast(1, 16384);
    public Option<int?> NumLayers { get; } = new Option<int?>("--num-layers") { Description = "LSTM layers or transformer blocks, with --dataset text (default 1 for lstm, 2 for transformer)" }.AtLeast(1, 64);
    public Option<int> Heads { get; } = new Option<int>("--heads") { Description = "attention heads of --model transformer; must divide --embedding", DefaultValueFactory = _ => DefaultHeads }.AtLeast(1, 4096);
    public Option<double> Dropout { get; } = new Option<double>("--dropout") { Description = "dropout probability in training, with --dataset text", DefaultValueFactory = _ => 0 }.Within(0, 1, highOpen: true);

    /// <summary>The options, to add to the command.</summary>
    public IEnumerable<Option> All => [File, Context, Embedding, Hidden, NumLayers, Heads, Dropout];

    /// <summary>
    /// The checks that need several options: text options only with <c>--dataset text</c>, a language model only on text and
    /// only language models on it, <c>--heads</c> dividing <c>--embedding</c>, and a file that exists, is UTF-8, not empty and
    /// long enough for <c>--context</c>.
    /// </summary>
    public void AddValidator(Command command, Option<string> dataset, Option<string> model, Option<string?> resume, IEnumerable<Option> classifierOnly)
    {
        command.Validators.Add(r =>
        {
            if (Given(r, resume)) return; // the run's own settings; train says which options --resume leaves out
            bool text = r.GetValue(dataset) == TextData.DatasetName;
            string? modelName = r.GetResult(model) is { Implicit: false } ? r.GetValue(model)?.Trim() : null;
            if (!text)
            {
                if (All.FirstOrDefault(o => Given(r, o)) is { } o) r.AddError($"{o.Name}: only for character-level models (--dataset text)");
                else if (modelName is not null && Models.Contains(modelName)) r.AddError($"--model {modelName}: a language model trains on text; add --dataset text (and --file FILE)");
                return;
            }
            if (modelName is not null && !Models.Contains(modelName)) { r.AddError($"--model {modelName}: --dataset text trains a character-level lstm or transformer"); return; }
            if (classifierOnly.FirstOrDefault(o => Given(r, o)) is { } c) { r.AddError($"{c.Name}: not used by --dataset text"); return; }
            bool transformer = modelName == "transformer";
            if (!transformer && Given(r, Heads)) { r.AddError("--heads: only for --model transformer"); return; }
            int embedding = Value(r, Embedding, DefaultEmbedding), heads = Value(r, Heads, DefaultHeads);
            if (transformer && embedding % heads != 0)
            {
                r.AddError($"--heads {heads}: must divide --embedding {embedding} (each head gets embedding/heads features)");
                return;
            }
            if (TextData.Problem(r.GetValue(File), Value(r, Context, DefaultContext)) is string problem) r.AddError(problem);
        });
    }

    private static bool Given(CommandResult r, Option o) => r.GetResult(o) is { Implicit: false };

    /// <summary>An option's value in a command validator, which sees defaults as default(T): the given value or <paramref name="fallback"/>.</summary>
    private static T Value<T>(CommandResult r, Option<T> o, T fallback) => Given(r, o) ? r.GetValue(o)! : fallback;

    private const int DefaultContext = 64, DefaultEmbedding = 64, DefaultHidden = 128, DefaultHeads = 4;

    /// <summary>The run's model.json and data for <c>--dataset text</c>; the hyper-parameters are the caller's.</summary>
    public (ModelSpec Spec, SplitData Data) Build(ParseResult r, Option<string> model, TrainOptions options)
    {
        string kind = r.GetResult(model) is { Implicit: false } ? r.GetValue(model)!.Trim() : "lstm";
        var file = r.GetValue(File) is string f ? Path.GetFullPath(f) : null;
        int context = r.GetValue(Context);
        var data = TextData.Load(file, context);
        var spec = new ModelSpec
        {
            Format = ModelSpec.TextFormat, Dataset = TextData.DatasetName, Seed = options.Seed, Inputs = context, Hidden = [], Model = kind,
            Classes = data.Classes, Mean = [], Std = [], InputScaling = InputFormat, Hyperparameters = options.Describe(),
            Text = new TextModelSpec
            {
                File = file, Embed = r.GetValue(Embedding), Hidden = r.GetValue(Hidden), Layers = r.GetValue(NumLayers) ?? (kind == "lstm" ? 1 : 2),
                Heads = kind == "transformer" ? r.GetValue(Heads) : 0, Dropout = r.GetValue(Dropout),
            },
        };
        return (spec, data);
    }

    /// <summary>What a language model's inputs are, for model.json's <c>inputScaling</c>.</summary>
    public const string InputFormat = "none: inputs are windows of character indices into classes (the vocabulary, one code point each)";
}
