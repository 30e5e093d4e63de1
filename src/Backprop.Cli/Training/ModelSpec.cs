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
    public string Activation { get; set; } = "relu";
    public string[] Classes { get; set; } = [];
    public double[] Mean { get; set; } = [];
    public double[] Std { get; set; } = [];
    public Dictionary<string, string> Hyperparameters { get; set; } = [];
    public int BestEpoch { get; set; }
    public double BestValAccuracy { get; set; }

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public Sequential Build(long seed) => Mlp.Build(Inputs, Hidden, Classes.Length, Activation, seed);

    /// <summary>Writes model.json (atomically, like the weights).</summary>
    public void Save(string dir)
    {
        var path = Path.Combine(dir, "model.json");
        var temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(this, Json));
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>
    /// Loads model.json (through <see cref="ModelSpecReader"/>) and the weights (model.safetensors) from a run folder, checking
    /// that they belong together before building the model.
    /// </summary>
    public static (ModelSpec Spec, Sequential Model) Load(string dir)
    {
        RunFolder.Recover(dir);
        var specPath = Path.Combine(dir, "model.json");
        var spec = ModelSpecReader.Read(specPath);
        var weightsPath = Path.Combine(dir, "model.safetensors");
        var weights = SafeTensors.Load(weightsPath);
        ModelSpecReader.CheckWeights(spec, weights, specPath, weightsPath);
        var model = spec.Build(spec.Seed);
        model.LoadStateDict(weights);
        model.Eval();
        return (spec, model);
    }
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
