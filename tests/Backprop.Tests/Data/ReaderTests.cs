using System.Buffers.Binary;
using System.IO.Compression;
using Backprop.Data;

namespace Backprop.Tests.Data;

public sealed class ReaderTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("backprop-tests-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static byte[] Idx(byte type, int[] dims, byte[] body)
    {
        var header = new byte[4 + 4 * dims.Length];
        header[2] = type; header[3] = (byte)dims.Length;
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + 4 * i), dims[i]);
        return [.. header, .. body];
    }

    private string Write(string name, byte[] bytes, bool gzip = false)
    {
        var path = Path.Combine(dir, name);
        if (gzip)
        {
            using var f = File.Create(path);
            using var gz = new GZipStream(f, CompressionLevel.Fastest);
            gz.Write(bytes);
        }
        else File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void Idx_ReadsRawAndGzipAndTypes()
    {
        var images = Idx(0x08, [2, 2, 3], [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]);
        var raw = IdxReader.Read(Write("img", images));
        Assert.Equal(new[] { 2, 2, 3 }, raw.Shape.ToArray());
        Assert.Equal(255.0, raw[1, 1, 2].Item());
        var gz = IdxReader.Read(Write("img.gz", images, gzip: true), DType.Int64);
        Assert.Equal(DType.Int64, gz.DType);
        Assert.Equal(raw.ToArray(), gz.ToArray());
        var body = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(body, -7);
        BinaryPrimitives.WriteSingleBigEndian(body.AsSpan(4), 2.5f);
        Assert.Equal(new[] { -7.0 }, IdxReader.Parse(Idx(0x0C, [1], body[..4]), "ints").ToArray());
        Assert.Equal(new[] { 2.5 }, IdxReader.Parse(Idx(0x0D, [1], body[4..]), "floats").ToArray());
    }

    [Fact]
    public void Idx_CorruptFilesNameFileAndOffset()
    {
        var good = Idx(0x08, [3, 2], [1, 2, 3, 4, 5, 6]);
        var truncated = Write("truncated-idx", good[..^2]);
        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.Read(truncated));
        Assert.Contains("truncated-idx", ex.Message);
        Assert.Contains("ends at byte offset 16", ex.Message); // 12-byte header + 4 of the 6 promised bytes

        var lying = Write("lying-idx", [.. good, 7, 7]);
        ex = Assert.Throws<InvalidDataException>(() => IdxReader.Read(lying));
        Assert.Contains("lying-idx", ex.Message);
        Assert.Contains("byte offset 18", ex.Message);

        var badMagic = (byte[])good.Clone(); badMagic[0] = 0x50;
        ex = Assert.Throws<InvalidDataException>(() => IdxReader.Read(Write("magic-idx", badMagic)));
        Assert.Contains("byte offset 0", ex.Message);
        var badType = (byte[])good.Clone(); badType[2] = 0x42;
        ex = Assert.Throws<InvalidDataException>(() => IdxReader.Read(Write("type-idx", badType)));
        Assert.Contains("0x42", ex.Message);
        Assert.Contains("byte offset 2", ex.Message);
        ex = Assert.Throws<InvalidDataException>(() => IdxReader.Read(Write("short-idx", good[..6])));
        Assert.Contains("byte offset 6", ex.Message);
        ex = Assert.Throws<InvalidDataException>(() => IdxReader.Read(Write("broken.gz", [0x1F, 0x8B, 8, 0, 1, 2, 3])));
        Assert.Contains("broken.gz", ex.Message);
        Assert.Throws<FileNotFoundException>(() => IdxReader.Read(Path.Combine(dir, "missing")));
    }

    [Fact]
    public void Idx_OverflowingDimensionsAreCaughtBeforeAnyAllocation()
    {
        // 65536^4 = 2^64 elements: a 64-bit product wraps to 0, which once made an empty file "valid".
        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.Parse(Idx(0x08, [65536, 65536, 65536, 65536], []), "huge"));
        Assert.Contains("huge", ex.Message);
        Assert.Contains("byte offset 12", ex.Message); // the second size already passes the limit
        ex = Assert.Throws<InvalidDataException>(() => IdxReader.Parse(Idx(0x0E, [int.MaxValue / 4], []), "wide"));
        Assert.Contains("the header is corrupt", ex.Message);
        // A gzip file whose header promises 2^30 bytes but holds 6: read as far as the data goes, never allocated at the lied size.
        var path = Write("liar.gz", Idx(0x08, [1 << 15, 1 << 15], [1, 2, 3, 4, 5, 6]), gzip: true);
        long before = GC.GetAllocatedBytesForCurrentThread();
        ex = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20, "the reader allocated for the size the header claims");
        Assert.Contains("truncated IDX data", ex.Message);
        // Zero-sized dimensions are fine and give an empty tensor, even beside a large one.
        Assert.Equal(new[] { 0, int.MaxValue }, IdxReader.Parse(Idx(0x08, [0, int.MaxValue], []), "empty").Shape.ToArray());
    }

    [Fact]
    public void FashionMnist_LabelOutOfRangeAndEmptyImagesNameTheFile()
    {
        var root = Directory.CreateDirectory(Path.Combine(dir, "fm-bad")).FullName;
        Write("fm-bad/t10k-images-idx3-ubyte", Idx(0x08, [2, 1, 1], [0, 255]));
        Write("fm-bad/t10k-labels-idx1-ubyte", Idx(0x08, [2], [3, 10]));
        var ex = Assert.Throws<InvalidDataException>(() => Datasets.FashionMnist(root, train: false));
        Assert.Contains("t10k-labels-idx1-ubyte, item 1: label 10", ex.Message);
        Write("fm-bad/t10k-images-idx3-ubyte", Idx(0x08, [0, 28, 28], []));
        Write("fm-bad/t10k-labels-idx1-ubyte", Idx(0x08, [0], []));
        ex = Assert.Throws<InvalidDataException>(() => Datasets.FashionMnist(root, train: false));
        Assert.Contains("t10k-images-idx3-ubyte: the IDX file holds no pixels", ex.Message);
    }

    [Theory]
    [InlineData("nan")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("-1e39")]
    [InlineData("3.5e38")]
    public void Csv_NonFiniteFloat32IsRejectedNamingLineAndColumn(string cell)
    {
        var path = Path.Combine(dir, "nf.csv");
        File.WriteAllLines(path, ["a,b,label", "1,2,0", $"3,{cell},1"]);
        var ex = Assert.Throws<InvalidDataException>(() => CsvReader.Read(path));
        Assert.Contains("nf.csv, line 3, column 'b'", ex.Message);
        Assert.Contains(cell, ex.Message);
        File.WriteAllLines(path, ["a,b,label", "1,2,0", "3,3.4e38,1"]); // the largest Float32 values are fine
        Assert.Equal(3.4e38, CsvReader.Read(path).Features[1, 1].Item(), 1e32);
    }

    [Fact]
    public void Csv_HeaderLabelByNameAndTextClasses()
    {
        var path = Path.Combine(dir, "flowers.csv");
        File.WriteAllLines(path, ["width,species,height", "1.5,b,2", "2.5,a,3", "3.5,b,-4e-1"]);
        var d = CsvReader.Read(path, labelColumn: "species");
        Assert.Equal(new[] { 3, 2 }, d.Features.Shape.ToArray());
        Assert.Equal(new[] { 1.5, 2, 2.5, 3, 3.5, -0.4 }, d.Features.ToArray(), new Autograd.Tol(1e-6));
        Assert.Equal(new[] { "a", "b" }, d.ClassNames);
        Assert.Equal(new long[] { 1, 0, 1 }, d.Labels.ToArray<long>());
        Assert.Equal(new[] { "width", "height" }, d.FeatureNames);

        File.WriteAllLines(path, ["0.5,1,0", "0.25,2,1"]);
        var n = CsvReader.Read(path);
        Assert.Equal(2, n.Count);
        Assert.Equal(new long[] { 0, 1 }, n.Labels.ToArray<long>());
        Assert.Equal(new long[] { 1, 2 }, CsvReader.Read(path, labelColumn: "1").Labels.ToArray<long>());
    }

    [Fact]
    public void Csv_BadRowsNameFileLineAndColumn()
    {
        var path = Path.Combine(dir, "bad.csv");
        File.WriteAllLines(path, ["a,b,label", "1,2,0", "3,0"]);
        var ex = Assert.Throws<InvalidDataException>(() => CsvReader.Read(path));
        Assert.Contains("bad.csv, line 3", ex.Message);
        Assert.Contains("ragged", ex.Message);
        File.WriteAllLines(path, ["a,b,label", "1,2,0", "3,x7,1"]);
        ex = Assert.Throws<InvalidDataException>(() => CsvReader.Read(path));
        Assert.Contains("line 3, column 'b'", ex.Message);
        Assert.Contains("x7", ex.Message);
        Assert.Throws<ArgumentException>(() => CsvReader.Read(path, labelColumn: "nope"));
        File.WriteAllText(path, "");
        Assert.Throws<InvalidDataException>(() => CsvReader.Read(path));
    }

    [Fact]
    public void EmbeddedDatasets_HaveTheirDocumentedSizes()
    {
        var digits = Datasets.Digits();
        Assert.Equal(new[] { 1797, 64 }, digits.Features.Shape.ToArray());
        Assert.Equal(10, digits.ClassCount);
        Assert.Equal(16.0, digits.Features.Max().Item());
        Assert.Contains("digits", digits.Description, StringComparison.OrdinalIgnoreCase);
        var iris = Datasets.Iris();
        Assert.Equal(new[] { 150, 4 }, iris.Features.Shape.ToArray());
        Assert.Equal(new[] { "setosa", "versicolor", "virginica" }, iris.ClassNames);
        Assert.Equal(new[] { 50.0, 50, 50 }, Enumerable.Range(0, 3).Select(c => iris.Labels.Eq(Tensor.Scalar(c, DType.Int64)).Sum().Item()));
        var wine = Datasets.Wine();
        Assert.Equal(new[] { 178, 13 }, wine.Features.Shape.ToArray());
        Assert.Equal(3, wine.ClassCount);
        var cancer = Datasets.BreastCancer();
        Assert.Equal(new[] { 569, 30 }, cancer.Features.Shape.ToArray());
        Assert.Equal(new[] { "malignant", "benign" }, cancer.ClassNames);
    }

    [Fact]
    public void FashionMnist_MissingFolderSaysHowToGetIt()
    {
        var ex = Assert.Throws<DirectoryNotFoundException>(() => Datasets.FashionMnist(Path.Combine(dir, "nowhere")));
        Assert.Contains("apt-get install dataset-fashion-mnist", ex.Message);
        Directory.CreateDirectory(Path.Combine(dir, "empty"));
        var ex2 = Assert.Throws<FileNotFoundException>(() => Datasets.FashionMnist(Path.Combine(dir, "empty")));
        Assert.Contains("train-images-idx3-ubyte", ex2.Message);
    }

    [Fact]
    public void FashionMnist_ReadsIdxFilesFromAFolder()
    {
        // A two-image stand-in written in the real format, so the reader is exercised without the 30 MB download.
        var root = Directory.CreateDirectory(Path.Combine(dir, "fm")).FullName;
        var pixels = Enumerable.Range(0, 2 * 28 * 28).Select(i => (byte)(i % 256)).ToArray();
        Write("fm/t10k-images-idx3-ubyte.gz", Idx(0x08, [2, 28, 28], pixels), gzip: true);
        Write("fm/t10k-labels-idx1-ubyte", Idx(0x08, [2], [9, 3]));
        var test = Datasets.FashionMnist(root, train: false);
        Assert.Equal(new[] { 2, 28, 28 }, test.Features.Shape.ToArray());
        Assert.Equal(1.0, test.Features.Max().Item(), 6);
        Assert.Equal(new long[] { 9, 3 }, test.Labels.ToArray<long>());
        Assert.Equal("Ankle boot", test.ClassNames[9]);
    }
}
