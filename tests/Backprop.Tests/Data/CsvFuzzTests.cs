using System.Text;
using Backprop.Data;
using Backprop.Tests.Fuzz;
using CsCheck;

namespace Backprop.Tests.Data;

/// <summary>
/// Property-based damage to a valid CSV data set (cells replaced by NaN, 1e39, nulls, quotes; lines dropped or doubled; raw
/// bytes flipped): <see cref="CsvReader.Read"/> returns a data set with only finite features, or throws
/// <see cref="InvalidDataException"/> naming the file.
/// </summary>
public sealed class CsvFuzzTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("backprop-fuzz-csv-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private const string Valid = "width,height,depth,label\n1.5,2,-0.25,cat\n2.5,3e2,4,dog\n3.5,-4e-1,0,cat\n0,1,2,bird\n";

    private void Check(byte[] bytes)
    {
        var path = Path.Combine(dir, "case.csv");
        File.WriteAllBytes(path, bytes);
        LabeledDataset? data = null;
        Mutation.AssertLoadOrNamedError(path, bytes.Length, () => data = CsvReader.Read(path), () => Encoding.UTF8.GetString(bytes));
        if (data is null) return;
        Assert.All(data.Features.ToArray(), v => Assert.True(double.IsFinite(v), $"a non-finite feature was accepted:\n{Encoding.UTF8.GetString(bytes)}"));
        Assert.All(data.Labels.ToArray<long>(), l => Assert.InRange(l, 0, data.ClassCount - 1));
    }

    [Fact]
    public void DamagedText_LoadOrNamedError() =>
        Mutation.Bounded(() => Mutation.Text(Valid).Sample(s => Check(Mutation.Utf8(s)), seed: Mutation.Seed, iter: 1000, threads: 1));

    [Fact]
    public void DamagedBytes_LoadOrNamedError() =>
        Mutation.Bounded(() => Mutation.Bytes(Mutation.Utf8(Valid)).Sample(Check, seed: Mutation.Seed, iter: 750, threads: 1));
}
