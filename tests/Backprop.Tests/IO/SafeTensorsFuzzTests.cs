using System.Buffers.Binary;
using System.Text;
using Backprop.IO;
using Backprop.Tests.Fuzz;
using CsCheck;

namespace Backprop.Tests.IO;

/// <summary>
/// Property-based damage to a valid safetensors file: whatever the bytes, <see cref="SafeTensors.Load(string)"/> returns
/// tensors or throws <see cref="InvalidDataException"/> naming the file — no other exception, no hang, no allocation of a
/// size the file merely claims.
/// </summary>
public sealed class SafeTensorsFuzzTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("backprop-fuzz-st-").FullName;
    private readonly byte[] valid;

    public SafeTensorsFuzzTests()
    {
        var path = Path.Combine(dir, "valid.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor>
        {
            ["0.weight"] = Tensor.Arange(12).Reshape([3, 4]),
            ["0.bias"] = Tensor.FromArray(new[] { 1.5, -2.5 }),
            ["steps"] = Tensor.FromArray(new long[] { 1, 2, 3 }),
            ["empty"] = Tensor.Zeros([0, 5]),
        }, new Dictionary<string, string> { ["format"] = "pt", ["epoch"] = "3" });
        valid = File.ReadAllBytes(path);
    }

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private void Check(byte[] bytes)
    {
        var path = Path.Combine(dir, "case.safetensors");
        File.WriteAllBytes(path, bytes);
        Mutation.AssertLoadOrNamedError(path, bytes.Length, () => SafeTensors.Load(path, out _), () => Mutation.Hex(bytes));
    }

    [Fact]
    public void DamagedBytes_LoadOrNamedError() =>
        Mutation.Bounded(() => Mutation.Bytes(valid).Sample(Check, seed: Mutation.Seed, iter: 1000, threads: 1));

    [Fact]
    public void DamagedHeaderJson_LoadOrNamedError()
    {
        ulong length = BinaryPrimitives.ReadUInt64LittleEndian(valid);
        string header = Encoding.UTF8.GetString(valid, 8, (int)length);
        var data = valid[(8 + (int)length)..];
        // The header text damaged, then re-framed with its true length so that the JSON itself is what the reader meets.
        Mutation.Bounded(() => Mutation.Text(header).Sample(json =>
        {
            var h = Encoding.UTF8.GetBytes(json);
            var bytes = new byte[8 + h.Length + data.Length];
            BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)h.Length);
            h.CopyTo(bytes, 8);
            data.CopyTo(bytes, 8 + h.Length);
            Check(bytes);
        }, seed: Mutation.Seed, iter: 1000, threads: 1));
    }

    [Fact]
    public void TheUndamagedFileLoads()
    {
        var path = Path.Combine(dir, "again.safetensors");
        File.WriteAllBytes(path, valid);
        var t = SafeTensors.Load(path, out var meta);
        Assert.Equal(4, t.Count);
        Assert.Equal("3", meta["epoch"]);
        Assert.Equal(new[] { 0, 5 }, t["empty"].Shape.ToArray());
    }
}
