using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using static Backprop.Cli.Tests.CliRunner;

namespace Backprop.Cli.Tests.Training;

/// <summary>Bad data is rejected at load, through the CLI, with exit 1 and one line naming the file and the row, column or tensor.</summary>
[Collection("cli")]
public sealed class DataValidationTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("backprop-data-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string Csv(params string[] lines)
    {
        var path = Path.Combine(dir, "data.csv");
        File.WriteAllLines(path, lines);
        return path;
    }

    private static string[] Rows(int n, string bad = "", int at = -1) =>
        ["x,y,label", .. Enumerable.Range(0, n).Select(i => i == at ? bad : $"{i % 7}.5,{i % 3},{i % 2}")];

    [Theory]
    [InlineData("NaN,1,0", "column 'x'", "NaN")]
    [InlineData("1e39,1,0", "column 'x'", "1e39")]
    [InlineData("1,-Infinity,0", "column 'y'", "-Infinity")]
    [InlineData("1,∞,0", "column 'y'", "∞")]
    public void Csv_NonFiniteCell_IsRejectedAtLoadNamingFileLineAndColumn(string bad, string column, string value)
    {
        var path = Csv(Rows(20, bad, at: 5));
        var run = Path.Combine(dir, "run");
        AssertOneLineError(Run("train", "--dataset", path, "--epochs", "1", "--out", run), 1, "data.csv, line 7", column, value);
        Assert.False(Directory.Exists(run));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void Csv_TooFewRowsForTheSplit_IsAClearError(int rows)
    {
        var run = Path.Combine(dir, "run");
        AssertOneLineError(Run("train", "--dataset", Csv(Rows(rows)), "--epochs", "1", "--out", run), 1, "data.csv", $"{rows} data row(s)", "need at least one of each");
        Assert.False(Directory.Exists(run));
        // Five rows are enough: 4 training, 1 validation, and the summary names only files that exist.
        var (code, output, err) = Run("train", "--dataset", Csv(Rows(5)), "--epochs", "1", "--out", run);
        Assert.True(code == 0, err);
        var named = System.Text.RegularExpressions.Regex.Matches(output.Split("wrote ")[1].Split(": ", 2)[1], @"[\w.]+\.(csv|png|safetensors|json)").Select(m => m.Value).ToList();
        Assert.Contains("best.safetensors", named);
        foreach (var f in named) Assert.True(File.Exists(Path.Combine(run, f)), $"the summary names {f}, which does not exist");
    }

    private static byte[] Idx(byte type, int[] dims, byte[] body)
    {
        var header = new byte[4 + 4 * dims.Length];
        header[2] = type; header[3] = (byte)dims.Length;
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + 4 * i), dims[i]);
        return [.. header, .. body];
    }

    /// <summary>A Fashion-MNIST folder of tiny 2×2 images; <paramref name="labels"/> for both parts, gzip for the training images.</summary>
    private string Fashion(byte[] trainLabels, byte[]? trainImages = null)
    {
        var root = Path.Combine(dir, "fmnist");
        Directory.CreateDirectory(root);
        int n = 10;
        var images = trainImages ?? Idx(0x08, [n, 2, 2], [.. Enumerable.Range(0, 4 * n).Select(i => (byte)(i * 7))]);
        using (var gz = new GZipStream(File.Create(Path.Combine(root, "train-images-idx3-ubyte.gz")), CompressionLevel.Fastest)) gz.Write(images);
        File.WriteAllBytes(Path.Combine(root, "train-labels-idx1-ubyte"), trainLabels);
        File.WriteAllBytes(Path.Combine(root, "t10k-images-idx3-ubyte"), Idx(0x08, [n, 2, 2], new byte[4 * n]));
        File.WriteAllBytes(Path.Combine(root, "t10k-labels-idx1-ubyte"), Idx(0x08, [n], [.. Enumerable.Range(0, n).Select(i => (byte)i)]));
        return root;
    }

    private (int, string, string) TrainFashion(string root) =>
        Run("train", "--dataset", "fashion-mnist", "--data-dir", root, "--epochs", "1", "--layers", "4", "--out", Path.Combine(dir, "run"));

    [Fact]
    public void Idx_LabelOutsideTheClasses_ZeroItems_AndOverflowingDims_NameTheFile()
    {
        var labels = Idx(0x08, [10], [0, 1, 2, 3, 200, 5, 6, 7, 8, 9]);
        AssertOneLineError(TrainFashion(Fashion(labels)), 1, "train-labels-idx1-ubyte, item 4: label 200 is outside");

        var root = Fashion(Idx(0x08, [0], []), Idx(0x08, [0, 28, 28], []));
        AssertOneLineError(TrainFashion(root), 1, "train-images-idx3-ubyte.gz", "holds no pixels");

        // dims 65536⁴ with no data: the element count overflows 64 bits to 0, which the reader once accepted.
        root = Fashion(Idx(0x08, [10], new byte[10]), Idx(0x08, [65536, 65536, 65536, 65536], []));
        AssertOneLineError(TrainFashion(root), 1, "train-images-idx3-ubyte.gz", "more than", "the header is corrupt");

        var good = Fashion(Idx(0x08, [10], [.. Enumerable.Range(0, 10).Select(i => (byte)i)]));
        var (code, _, err) = TrainFashion(good);
        Assert.True(code == 0, err);
    }

    private static byte[] SafeTensorsFile(string header, int dataBytes)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        return bytes;
    }

    [Theory]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", "distinct keys")]
    [InlineData("{\"__metadata__\":[1,2]}", "__metadata__ must map strings to strings")]
    [InlineData("{\"__metadata__\":{\"k\":5}}", "__metadata__ must map strings to strings")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[65536,65536],\"data_offsets\":[0,0]}}", "'a'")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1,2],\"data_offsets\":[8,0]}}", "'a'")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1e20],\"data_offsets\":[0,4]}}", "'a'")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", "lacks tensor '0.weight'")]
    public void SafeTensors_BadHeader_EvalNamesTheFile(string header, string expected)
    {
        var run = Path.Combine(dir, "run");
        Assert.Equal(0, Run("train", "--dataset", "iris", "--layers", "4", "--epochs", "1", "--out", run).Code);
        File.WriteAllBytes(Path.Combine(run, "model.safetensors"), SafeTensorsFile(header, 8));
        AssertOneLineError(Run("eval", "--model", run), 1, Path.Combine(run, "model.safetensors"), expected);
    }
}
