using System.Text;
using Backprop.Cli.Training;
using Backprop.Tests.Fuzz;
using CsCheck;
using static Backprop.Cli.Tests.CliRunner;

namespace Backprop.Cli.Tests.Training;

/// <summary>
/// The damaged-file cases through the CLI: model.json through its validating reader (thousands of cases), then a few hundred
/// damaged model.json, model.safetensors, predict inputs and training CSVs through <c>backprop</c> in-process — each exits 0,
/// or 1 with one line — and a handful as real child processes, which must agree with the in-process run.
/// </summary>
[Collection("cli")]
public sealed class LoaderFuzzTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("backprop-fuzz-cli-").FullName;
    private readonly string run;
    private readonly byte[] spec, weights;

    public LoaderFuzzTests()
    {
        run = Path.Combine(dir, "run");
        var (code, _, err) = Run("train", "--dataset", "iris", "--layers", "5", "--epochs", "1", "--out", run);
        Assert.True(code == 0, err);
        spec = File.ReadAllBytes(Path.Combine(run, "model.json"));
        weights = File.ReadAllBytes(Path.Combine(run, "model.safetensors"));
    }

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void ModelJson_DamagedText_ReadsOrNamesTheFile()
    {
        var path = Path.Combine(dir, "model.json");
        var w = IO.SafeTensors.Load(Path.Combine(run, "model.safetensors"));
        Mutation.Bounded(() => Mutation.Text(Encoding.UTF8.GetString(spec)).Sample(text =>
        {
            File.WriteAllText(path, text);
            Mutation.AssertLoadOrNamedError(path, text.Length + weights.Length, () => ModelSpecReader.CheckWeights(ModelSpecReader.Read(path), w, path, "weights"), () => text);
        }, seed: Mutation.Seed, iter: 2000, threads: 1));
    }

    /// <summary>Exit 0, or 1 with exactly one line on stderr and no stack trace.</summary>
    private static void AssertCleanExit((int Code, string Out, string Err) r, string what)
    {
        Assert.True(r.Code is 0 or 1, $"exit {r.Code} for {what}: {r.Err}");
        if (r.Code == 0) return;
        var lines = r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1 && lines[0].StartsWith("error: ", StringComparison.Ordinal), $"{what}: stderr is not one error line:\n{r.Err}");
        Assert.DoesNotContain("   at ", r.Err);
    }

    private string[] Case(int kind, byte[] bytes, string name)
    {
        var folder = Path.Combine(dir, "case");
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, "model.json"), kind == 0 ? bytes : spec);
        File.WriteAllBytes(Path.Combine(folder, "model.safetensors"), kind == 1 ? bytes : weights);
        var input = Path.Combine(dir, name);
        File.WriteAllBytes(input, kind >= 2 ? bytes : Encoding.UTF8.GetBytes("5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n"));
        return kind switch
        {
            0 or 1 => ["eval", "--model", folder],
            2 => ["predict", "--model", folder, "--input", input],
            _ => ["train", "--dataset", input, "--layers", "3", "--epochs", "1", "--batch-size", "full", "--out", Path.Combine(dir, "out")],
        };
    }

    private Gen<(int Kind, byte[] Bytes)> Cases()
    {
        var predictCsv = "a,b,c,d\n5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n4.9,3.0,1.4,0.2\n";
        var trainCsv = new StringBuilder("w,x,y,z,label\n");
        var iris = Backprop.Data.Datasets.Iris();
        var f = iris.Features.ToArray<float>();
        for (int i = 0; i < 150; i += 10) trainCsv.Append($"{Mutation.F(f[4 * i])},{Mutation.F(f[4 * i + 1])},{Mutation.F(f[4 * i + 2])},{Mutation.F(f[4 * i + 3])},{iris.Labels[i].Item()}\n");
        Gen<byte[]> TextOrBytes(string s) => Gen.Bool.SelectMany(t => t ? Mutation.Text(s).Select(Encoding.UTF8.GetBytes) : Mutation.Bytes(Encoding.UTF8.GetBytes(s)));
        return Gen.Int[0, 3].SelectMany(kind => (kind switch
        {
            0 => TextOrBytes(Encoding.UTF8.GetString(spec)),
            1 => Mutation.Bytes(weights),
            2 => TextOrBytes(predictCsv),
            _ => TextOrBytes(trainCsv.ToString()),
        }).Select(b => (kind, b)));
    }

    [Fact]
    public void DamagedFiles_ThroughTheCli_ExitZeroOrOneWithOneLine()
    {
        var failures = 0;
        Mutation.Bounded(() => Cases().Sample(c =>
        {
            var args = Case(c.Kind, c.Bytes, "input.csv");
            var r = Run(args);
            AssertCleanExit(r, $"{string.Join(' ', args)} with {Mutation.Hex(c.Bytes)}");
            if (r.Code == 1) failures++;
        }, seed: Mutation.Seed, iter: 300, threads: 1), seconds: 400);
        Assert.True(failures > 100, $"only {failures} of 300 damaged cases failed: the generators damage too little");
    }

    [Fact]
    public void DamagedFiles_AsChildProcesses_AgreeWithInProcess()
    {
        int n = 0;
        Mutation.Bounded(() => Cases().Sample(c =>
        {
            var args = Case(c.Kind, c.Bytes, $"child-{n++}.csv");
            var inProcess = Run(args);
            Threading.SetNumThreads(Environment.ProcessorCount);
            var child = Child(args);
            AssertCleanExit(child, string.Join(' ', args));
            Assert.Equal(inProcess.Code, child.Code);
            Assert.Equal(inProcess.Err.Trim(), child.Err.Trim());
        }, seed: Mutation.Seed, iter: 6, threads: 1), seconds: 400);
    }
}
