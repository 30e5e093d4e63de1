using System.Globalization;
using System.Text.Json.Nodes;
using Backprop.Cli.Training;
using static Backprop.Cli.Tests.CliRunner;

namespace Backprop.Cli.Tests.Training;

/// <summary>model.json is read through one validating reader; eval and predict both use the scaling it saved.</summary>
[Collection("cli")]
public sealed class ModelSpecReaderTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("backprop-spec-").FullName;
    private readonly string run, rows;

    public ModelSpecReaderTests()
    {
        run = Path.Combine(dir, "run");
        var (code, _, err) = Run("train", "--dataset", "iris", "--layers", "8", "--epochs", "3", "--out", run);
        Assert.True(code == 0, err);
        rows = Path.Combine(dir, "rows.csv");
        File.WriteAllLines(rows, ["5.1,3.5,1.4,0.2", "6.7,3.0,5.2,2.3"]);
    }

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string SpecPath => Path.Combine(run, "model.json");

    private void Edit(Action<JsonObject> change)
    {
        var json = JsonNode.Parse(File.ReadAllText(SpecPath))!.AsObject();
        change(json);
        File.WriteAllText(SpecPath, json.ToJsonString());
    }

    [Theory]
    [InlineData("hidden", null, "field 'hidden' is null")]
    [InlineData("classes", null, "field 'classes' is null")]
    [InlineData("inputs", null, "field 'inputs' is null")]
    [InlineData("mean", "[0.1, 0.2]", "field 'mean' has 2 values but inputs is 4")]
    [InlineData("std", "[1, 0, 1, 1]", "field 'std[1]' is 0; standard deviations must be positive")]
    [InlineData("std", "[1, -2, 1, 1]", "field 'std[1]' is -2")]
    [InlineData("mean", "[0, \"x\", 0, 0]", "field 'mean[1]' is string")]
    [InlineData("hidden", "[0]", "field 'hidden[0]' is 0")]
    [InlineData("hidden", "\"8\"", "field 'hidden' is string")]
    [InlineData("hidden", "[16]", "has shape [8, 4], but")]
    [InlineData("inputs", "1e9", "field 'inputs' is number 1e9, not a whole number")]
    [InlineData("inputs", "2000000000", "field 'mean' has 4 values but inputs is 2000000000")]
    [InlineData("activation", "\"softmax\"", "field 'activation' is \"softmax\"")]
    [InlineData("format", "\"backprop-mlp/9\"", "field 'format'")]
    [InlineData("classes", "[\"a\", \"b\"]", "has shape [3, 8], but")]
    public void BadField_EvalAndPredict_ExitOneNamingFileAndField(string field, string? value, string expected)
    {
        Edit(j => j[field] = value is null ? null : JsonNode.Parse(value));
        AssertOneLineError(Run("eval", "--model", run), 1, "model.json", expected);
        AssertOneLineError(Run("predict", "--model", run, "--input", rows), 1, "model.json", expected);
    }

    [Theory]
    [InlineData("model", "7", "field 'model' is number 7, not a string")]
    [InlineData("model", "\"conv8,pool,fc16\"", "field 'imageShape' is missing")]
    [InlineData("inputScaling", "3", "field 'inputScaling' is number 3, not a string")]
    public void BadMainFields_ExitOneNamingFileAndField(string field, string value, string expected)
    {
        Edit(j => j[field] = JsonNode.Parse(value));
        AssertOneLineError(Run("eval", "--model", run), 1, "model.json", expected);
        AssertOneLineError(Run("export", "--model", run), 1, "model.json", expected);
    }

    [Theory]
    [InlineData("[1, 2]", "field 'imageShape' has 2 values")]
    [InlineData("[1, 0, 4]", "field 'imageShape[1]' is 0")]
    [InlineData("[1, 2, 3]", "6 values per image, but inputs is 4")]
    [InlineData("[1, 2, 2]", "field 'model' is not a network Backprop can build")] // the second pool finds 1×1 images
    public void Cnn_ImageShapeIsChecked(string shape, string expected) => CnnSpec("conv4,pool,pool", shape, expected);

    [Theory]
    [InlineData("conv8,warp", "[1, 2, 2]", "layer 'warp'")]
    [InlineData("fc8,conv4", "[1, 2, 2]", "a convolution cannot follow a fully connected layer")]
    public void Cnn_LayerSpecIsCheckedByBuildingIt(string model, string shape, string expected) => CnnSpec(model, shape, "field 'model'", expected);

    private void CnnSpec(string model, string shape, params string[] expected)
    {
        Edit(j => { j["model"] = model; j["imageShape"] = JsonNode.Parse(shape); });
        AssertOneLineError(Run("eval", "--model", run), 1, ["model.json", .. expected]);
    }

    [Fact]
    public void AugmentWord_IsChecked()
    {
        Edit(j => j["hyperparameters"]!["augment"] = "rotate");
        AssertOneLineError(Run("eval", "--model", run), 1, "model.json", "hyperparameters.augment", "rotate");
    }

    [Fact]
    public void ReadMetrics_ReadsTheNineColumnFormAndTheOlderSeven()
    {
        var csv = Path.Combine(dir, "metrics.csv");
        File.WriteAllLines(csv, ["epoch,train_loss,val_loss,val_accuracy,lr,seconds,updates,skipped_batches,status",
            "1,0.5,0.4,0.9,0.001,0.1,10,2,complete", "2,0.4,0.3,0.95,0.001,0.1,20,0,partial"]);
        var rows = RunFolder.ReadMetrics(csv).ToList();
        Assert.Equal([2, 0], rows.Select(r => r.Skipped));
        Assert.Equal([false, true], rows.Select(r => r.Partial));
        File.WriteAllLines(csv, ["epoch,train_loss,val_loss,val_accuracy,lr,seconds,updates", "1,0.5,0.4,0.9,0.001,0.1,10"]);
        var old = Assert.Single(RunFolder.ReadMetrics(csv));
        Assert.Equal((1, 10, 0, false), (old.Epoch, old.Updates, old.Skipped, old.Partial));
        File.WriteAllLines(csv, ["epoch", "1,0.5,0.4,0.9,0.001,0.1,10,0,maybe"]);
        Assert.Contains("status 'maybe'", Assert.Throws<InvalidDataException>(() => RunFolder.ReadMetrics(csv).ToList()).Message);
    }

    [Fact]
    public void MissingFieldDuplicateFieldAndNonObject_AreNamed()
    {
        Edit(j => j.Remove("classes"));
        AssertOneLineError(Run("eval", "--model", run), 1, "field 'classes' is missing");
        File.WriteAllText(SpecPath, "{\"format\": \"backprop-mlp/1\", \"format\": \"x\"}");
        AssertOneLineError(Run("eval", "--model", run), 1, "field 'format' appears twice");
        File.WriteAllText(SpecPath, "[1, 2]");
        AssertOneLineError(Run("predict", "--model", run, "--input", rows), 1, "model.json", "not an object");
        File.WriteAllText(SpecPath, "{\"format\": ");
        AssertOneLineError(Run("eval", "--model", run), 1, "model.json", "not valid JSON");
    }

    [Fact]
    public void EvalAndPredict_UseTheSavedScaling()
    {
        var spec = ModelSpecReader.Read(SpecPath);
        var (_, net) = ModelSpec.Load(run);
        // The validation rows, unscaled, exactly as train split them; scaled here with model.json's numbers.
        var raw = DataSource.Load("iris", null, "-1", spec.Seed, (new double[4], [1, 1, 1, 1]));
        double Accuracy(double[] mean)
        {
            using var _ = Autograd.NoGrad();
            var predicted = net.Forward(DataSource.Apply(raw.ValX, mean, spec.Std)).ArgMax(1);
            return predicted.Eq(raw.ValY).Sum().Item() / raw.ValY.Numel;
        }
        string Printed() => Run("eval", "--model", run).Out.Split("accuracy ")[1].Split('%')[0].Trim();
        Assert.Equal((100 * Accuracy(spec.Mean)).ToString("F2", CultureInfo.InvariantCulture), Printed());

        // Shift the saved mean: eval follows model.json (it does not re-standardise from the data), and so does predict.
        var shifted = spec.Mean.Select((m, i) => m + 3 * spec.Std[i]).ToArray();
        Edit(j => j["mean"] = new JsonArray([.. shifted.Select(v => (JsonNode)v)]));
        Assert.Equal((100 * Accuracy(shifted)).ToString("F2", CultureInfo.InvariantCulture), Printed());

        var x = Tensor.FromArray(new float[] { 5.1f, 3.5f, 1.4f, 0.2f, 6.7f, 3.0f, 5.2f, 2.3f }, [2, 4]);
        Tensor p;
        using (Autograd.NoGrad()) p = net.Forward(DataSource.Apply(x, shifted, spec.Std)).Softmax(1);
        var table = Run("predict", "--model", run, "--input", rows).Out.Split('\n')
            .Where(l => l.StartsWith('│')).Select(l => l.Split('│', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToList();
        Assert.Equal(["row", "predicted", "probability"], table[0]);
        foreach (int i in new[] { 0, 1 })
        {
            int best = (int)p[i].ArgMax().Item();
            Assert.Equal([(i + 1).ToString(CultureInfo.InvariantCulture), spec.Classes[best], Backprop.Cli.Commands.Options.F(p[i, best].Item())], table[i + 1]);
        }
    }

    [Fact]
    public void Predict_NonFiniteOrNonNumericCell_NamesRowAndColumn()
    {
        File.WriteAllLines(rows, ["a,b,c,d", "5.1,3.5,1.4,0.2", "6.7,NaN,5.2,2.3"]);
        AssertOneLineError(Run("predict", "--model", run, "--input", rows), 1, "rows.csv, line 3 (row 2), column 2", "NaN", "not a finite number");
        File.WriteAllLines(rows, ["5.1,3.5,1.4,1e39"]);
        AssertOneLineError(Run("predict", "--model", run, "--input", rows), 1, "line 1 (row 1), column 4", "1e39");
        File.WriteAllLines(rows, ["5.1,3.5,1.4,0.2", "5.1,x,1.4,0.2"]);
        AssertOneLineError(Run("predict", "--model", run, "--input", rows), 1, "line 2 (row 2), column 2", "\"x\" is not a number");
    }

    [Fact]
    public void Weights_WithNaN_Extra_OrMissingTensors_AreRefused()
    {
        var weightsPath = Path.Combine(run, "model.safetensors");
        var w = IO.SafeTensors.Load(weightsPath);
        w["0.weight"] = Tensor.Full([8, 4], double.NaN);
        IO.SafeTensors.Save(weightsPath, w);
        AssertOneLineError(Run("eval", "--model", run), 1, "model.safetensors", "'0.weight' holds NaN");
        w.Remove("0.weight");
        IO.SafeTensors.Save(weightsPath, w);
        AssertOneLineError(Run("eval", "--model", run), 1, "model.safetensors lacks tensor '0.weight'");
    }
}
