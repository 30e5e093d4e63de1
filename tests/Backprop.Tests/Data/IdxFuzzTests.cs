using Backprop.Data;
using Backprop.Tests.Fuzz;
using CsCheck;

namespace Backprop.Tests.Data;

/// <summary>
/// Property-based damage to valid IDX files, raw and gzip-compressed (the compressed bytes damaged, and the content damaged
/// then compressed): <see cref="IdxReader.Read"/> returns a tensor or throws <see cref="InvalidDataException"/> naming the file,
/// allocating no more than the bytes really there allow, whatever the header claims.
/// </summary>
public sealed class IdxFuzzTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("backprop-fuzz-idx-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static readonly byte[] Images = [0, 0, 0x08, 3, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 2, .. Enumerable.Range(0, 24).Select(i => (byte)(i * 11))];
    private static readonly byte[] Floats = [0, 0, 0x0D, 1, 0, 0, 0, 2, 0x40, 0x20, 0, 0, 0xBF, 0x80, 0, 0]; // [2.5, -1]

    private void Check(byte[] bytes, string name)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllBytes(path, bytes);
        Mutation.AssertLoadOrNamedError(path, Math.Max(bytes.Length, Mutation.GunzipLength(bytes)), () => IdxReader.Read(path, DType.Float64), () => Mutation.Hex(bytes));
    }

    [Fact]
    public void DamagedRawFiles_LoadOrNamedError() => Mutation.Bounded(() =>
    {
        Mutation.Bytes(Images).Sample(b => Check(b, "raw-idx3-ubyte"), seed: Mutation.Seed, iter: 1000, threads: 1);
        Mutation.Bytes(Floats).Sample(b => Check(b, "floats-idx1"), seed: Mutation.Seed, iter: 500, threads: 1);
    });

    [Fact]
    public void DamagedGzipFiles_LoadOrNamedError() => Mutation.Bounded(() =>
    {
        Mutation.Bytes(Mutation.Gzip(Images)).Sample(b => Check(b, "images-idx3-ubyte.gz"), seed: Mutation.Seed, iter: 750, threads: 1);
        Mutation.Bytes(Images).Sample(b => Check(Mutation.Gzip(b), "content-idx3-ubyte.gz"), seed: Mutation.Seed, iter: 750, threads: 1);
    });

    [Fact]
    public void TheUndamagedFilesLoad()
    {
        var path = Path.Combine(dir, "ok.gz");
        File.WriteAllBytes(path, Mutation.Gzip(Images));
        Assert.Equal(new[] { 3, 4, 2 }, IdxReader.Read(path).Shape.ToArray());
        Assert.Equal(new[] { 2.5, -1 }, IdxReader.Parse(Floats, "floats").ToArray());
    }
}
