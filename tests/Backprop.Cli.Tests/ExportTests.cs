using System.Globalization;
using Backprop.Cli.Commands;
using Backprop.Cli.Training;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using static Backprop.Cli.Tests.CliRunner;

namespace Backprop.Cli.Tests;

/// <summary><c>backprop export</c>: the ONNX graph, run in ONNX Runtime, gives <c>predict</c>'s probabilities on the same raw rows.</summary>
[Collection("cli")]
public sealed class ExportTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("backprop-export-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void ExportedGraph_GivesPredictsProbabilities_OnRawRows()
    {
        var run = Path.Combine(dir, "wine");
        var (code, _, error) = Run("train", "--dataset", "wine", "--layers", "16", "--epochs", "3", "--ema", "0.9", "--out", run);
        Assert.True(code == 0, error);
        (code, var output, error) = Run("export", "--model", run, "--format", "onnx");
        Assert.True(code == 0, error);
        var onnx = Path.Combine(run, "model.onnx");
        Assert.Contains("model.onnx", output);

        var wine = Backprop.Data.Datasets.Wine();
        int rows = 12, features = wine.Features.Shape[1];
        var raw = wine.Features.Narrow(0, 0, rows).To(DType.Float32);
        var csv = Path.Combine(dir, "rows.csv");
        File.WriteAllLines(csv, Enumerable.Range(0, rows).Select(i => string.Join(',', raw[i].ToArray<float>().Select(v => v.ToString("R", CultureInfo.InvariantCulture)))));

        float[] probs;
        using (var session = new InferenceSession(onnx))
        {
            var input = new DenseTensor<float>(raw.ToArray<float>(), [rows, features]);
            using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", input)]);
            probs = results.Single().AsTensor<float>().ToArray();
            Assert.Contains("standardize", session.ModelMetadata.CustomMetadataMap["input_scaling"]);
        }

        // Full precision: the CLI's own path (model folder, scaling, forward, softmax).
        var (spec, net) = ModelSpec.Load(run);
        var expected = net.Forward(DataSource.Apply(raw, spec.Mean, spec.Std)).Softmax(1).ToArray<float>();
        Assert.Equal(rows * spec.Classes.Length, probs.Length);
        for (int i = 0; i < probs.Length; i++) Assert.True(Math.Abs(expected[i] - probs[i]) <= 1e-5, $"probability {i}: ONNX {probs[i]}, Backprop {expected[i]}");

        // What `predict` prints: the same class and probability for every row.
        (code, output, error) = Run("predict", "--model", run, "--input", csv);
        Assert.True(code == 0, error);
        int classes = spec.Classes.Length;
        var table = output.Split('\n').Select(l => l.Split('│', StringSplitOptions.TrimEntries)).Where(f => f.Length == 5 && int.TryParse(f[1], out _))
            .Select(f => (Class: f[2], Probability: f[3])).ToArray();
        Assert.Equal(rows, table.Length);
        for (int i = 0; i < rows; i++)
        {
            var row = probs.AsSpan(i * classes, classes).ToArray();
            int best = Array.IndexOf(row, row.Max());
            Assert.Equal((spec.Classes[best], Options.F(row[best])), table[i]);
        }
    }

    [Fact]
    public void Export_MissingRunFolder_SaysWhatToGive()
    {
        var (code, _, error) = Run("export", "--model", Path.Combine(dir, "none"));
        Assert.Equal(1, code);
        Assert.Contains("model.json not found", error);
    }
}
