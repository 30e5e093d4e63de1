using System.Text.Json;
using Backprop.IO;
using Backprop.NN;

namespace Backprop.Cli.Training;

/// <summary>What <c>model.json</c> records: the architecture, the input scaling and the hyper-parameters of a run.</summary>
internal sealed class ModelSpec
{
    public string Format { get; set; } = "backprop-mlp/1";
    public string Dataset { get; set; } = "";
    public string? DataDir { get; set; }
    public string LabelColumn { get; set; } = "-1";
    public long Seed { get; set; }
    public int Inputs { get; set; }
    public int[] Hidden { get; set; } = [];
    /// <summary>"mlp", or the layer spec of a convolutional network (see <see cref="Cnn"/>).</summary>
    public string Model { get; set; } = "mlp";
    /// <summary>[C, H, W] of the images a convolutional network unflattens the feature rows into; null for an MLP.</summary>
    public int[]? ImageShape { get; set; }
    public string Activation { get; set; } = "relu";
    public string[] Classes { get; set; } = [];
    public double[] Mean { get; set; } = [];
    public double[] Std { get; set; } = [];
    /// <summary>How <see cref="Mean"/> and <see cref="Std"/> are applied, by name and formula, for tools that do not read our code.</summary>
    public string InputScaling { get; set; } = ScalingFormula;
    public const string ScalingFormula = "standardize: (x - mean) / std per feature, mean and population std (ddof 0) of the training part, std < 1e-8 stored as 1";
    public Dictionary<string, string> Hyperparameters { get; set; } = [];
    public int BestEpoch { get; set; }
    public double BestValAccuracy { get; set; }
    /// <summary>
    /// A character-level language model's settings (format <see cref="TextFormat"/>); null for a classifier. Its
    /// <see cref="Classes"/> are then the vocabulary, one character per entry, and <see cref="Inputs"/> the context length.
    /// </summary>
    public TextModelSpec? Text { get; set; }

    /// <summary>The format of a classifier's model.json.</summary>
    public const string ClassifierFormat = "backprop-mlp/1";
    /// <summary>The format of a character-level language model's model.json.</summary>
    public const string TextFormat = "backprop-charlm/1";

    /// <summary>The network: an MLP, a CNN, or a character-level LSTM or transformer.</summary>
    public Module Build(long seed)
    {
        if (Text is { } t)
            return Model == "lstm" ? new CharLstm(Classes.Length, t.Embed, t.Hidden, t.Layers, t.Dropout, seed)
                : new CharTransformer(Classes.Length, Inputs, t.Embed, t.Hidden, t.Layers, t.Heads, t.Dropout, seed);
        return Model == "mlp"
            ? Mlp.Build(Inputs, Hidden, Classes.Length, Activation, seed)
            : Cnn.Build(ImageShape ?? throw new InvalidDataException($"model.json: the convolutional model '{Model}' needs an imageShape"), Model, Classes.Length, seed);
    }

    /// <summary>The architecture in one line, e.g. <c>64 → 64 → 10 (relu)</c> or <c>cnn conv32,pool,… on 1×28×28 → 10</c>.</summary>
    public string Describe() => Text is { } t
        ? Model == "lstm"
            ? $"lstm: embedding {t.Embed} → {t.Layers}-layer LSTM {t.Hidden} → {Classes.Length} characters, context {Inputs}{(t.Dropout > 0 ? $", dropout {t.Dropout}" : "")}"
            : $"transformer: embedding {t.Embed} + positions {Inputs} → {t.Layers} causal pre-norm encoder layers ({t.Heads} heads, feed-forward {t.Hidden}) → {Classes.Length} characters{(t.Dropout > 0 ? $", dropout {t.Dropout}" : "")}"
        : Model == "mlp"
            ? $"{Inputs} → {string.Join(" → ", Hidden)} → {Classes.Length} ({Activation})"
            : $"cnn {Model} on {string.Join("×", ImageShape ?? [])} images → {Classes.Length}";

    /// <summary>Writes model.json (atomically, like the weights).</summary>
    public void Save(string dir)
    {
        var path = Path.Combine(dir, "model.json");
        AtomicFile.WriteAllText(path, ToJson());
    }

    /// <summary>model.json as text (what <see cref="Save"/> writes; checkpoints keep a copy in their metadata).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, CliJson.Default.ModelSpec);

    /// <summary>
    /// Loads model.json (through <see cref="ModelSpecReader"/>) and the weights (model.safetensors) from a run folder, checking
    /// that they belong together before building the model.
    /// </summary>
    public static (ModelSpec Spec, Module Model) Load(string dir, bool languageModel = false)
    {
        RunFolderWriter.CleanStaleTempFiles(dir);
        var specPath = Path.Combine(dir, "model.json");
        var spec = ModelSpecReader.Read(specPath);
        if (spec.Text is null && languageModel)
            throw new UsageException($"--model {dir}: the run is a classifier ({spec.Describe()} on {spec.Dataset}), not a language model; generate samples text from a run of 'backprop train --dataset text'");
        if (spec.Text is not null && !languageModel)
            throw new UsageException($"--model {dir}: the run is a character-level language model ({spec.Model}); use 'backprop generate --model {dir}'");
        var weightsPath = Path.Combine(dir, "model.safetensors");
        var weights = SafeTensors.Load(weightsPath);
        ModelSpecReader.CheckWeights(spec, weights, specPath, weightsPath);
        var model = spec.Build(spec.Seed);
        model.LoadStateDict(weights);
        model.Eval();
        return (spec, model);
    }
}

/// <summary>The settings of a character-level language model in model.json (<c>text</c>).</summary>
internal sealed class TextModelSpec
{
    /// <summary>The text trained on (a full path), or null for the embedded passage.</summary>
    public string? File { get; set; }
    /// <summary>Embedding size (the transformer's d_model).</summary>
    public int Embed { get; set; }
    /// <summary>The LSTM's hidden size, or the transformer's feed-forward size.</summary>
    public int Hidden { get; set; }
    /// <summary>LSTM layers or transformer blocks.</summary>
    public int Layers { get; set; }
    /// <summary>Attention heads (the transformer's; 0 for an LSTM).</summary>
    public int Heads { get; set; }
    /// <summary>Dropout probability in training.</summary>
    public double Dropout { get; set; }
}

/// <summary>The CLI's network: Linear layers with one activation between them.</summary>
internal static class Mlp
{
    public static Module Activation(string name) => name switch
    {
        "relu" => new Relu(),
        "sigmoid" => new Sigmoid(),
        "tanh" => new Tanh(),
        "gelu" => new Gelu(),
        _ => throw new ArgumentException($"unknown activation '{name}': use relu, sigmoid, tanh or gelu"),
    };

    public static Sequential Build(int inputs, int[] hidden, int outputs, string activation, long seed)
    {
        var g = new Generator(seed);
        var layers = new List<Module>();
        int width = inputs;
        foreach (var h in hidden)
        {
            layers.Add(new Linear(width, h, generator: g));
            layers.Add(Activation(activation));
            width = h;
        }
        layers.Add(new Linear(width, outputs, generator: g));
        return new Sequential([.. layers]);
    }
}
