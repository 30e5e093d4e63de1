using System.Text;
using Backprop.Backends.Cuda;

namespace Backprop.Tests.Backends.Cuda;

public sealed class KernelCacheTests : IDisposable
{
    /// <summary>A compiler whose "CUBIN" is the source's bytes with the options; counts compilations, fails on "#error".</summary>
    private sealed class FakeNvrtc((int, int) version) : INvrtc
    {
        public int Calls;
        public (int Major, int Minor) Version { get; } = version;

        public (byte[] Cubin, string Log) Compile(string source, string name, IReadOnlyList<string> options)
        {
            Calls++;
            if (source.Contains("#error", StringComparison.Ordinal))
                CudaErrors.CheckNvrtc(6, $"compiling CUDA kernel {name}", $"{name}.cu(1): error: #error directive");
            return (Encoding.UTF8.GetBytes(string.Join(' ', options) + "|" + source), $"{name}: ok");
        }
    }

    private readonly string dir = Path.Combine(Path.GetTempPath(), "bp-kcache-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void Key_DependsOnSourceOptionsArchitectureAndNvrtcVersion()
    {
        var cache = new KernelCache(new FakeNvrtc((13, 0)), dir);
        string k = cache.Key("src", KernelCache.Options(90), 90);
        Assert.Equal(k, cache.Key("src", KernelCache.Options(90), 90));
        Assert.NotEqual(k, cache.Key("src2", KernelCache.Options(90), 90));
        Assert.NotEqual(k, cache.Key("src", KernelCache.Options(80), 90));
        Assert.NotEqual(k, cache.Key("src", KernelCache.Options(90), 80));
        Assert.NotEqual(k, new KernelCache(new FakeNvrtc((12, 8)), dir).Key("src", KernelCache.Options(90), 90));
        Assert.Equal(64, k.Length);
    }

    [Fact]
    public void Options_CompileForTheDevicesOwnArchitecture()
    {
        Assert.Contains("-arch=sm_90", KernelCache.Options(90));
        Assert.DoesNotContain(KernelCache.Options(90), o => o.Contains("compute_", StringComparison.Ordinal)); // CUBIN, never PTX
    }

    [Fact]
    public void SecondProcess_ReadsTheCubinFromDiskWithoutCompiling()
    {
        var first = new FakeNvrtc((13, 0));
        var a = new KernelCache(first, dir).GetOrCompile("kernel A", "a", 90);
        Assert.Equal(1, first.Calls);
        var second = new FakeNvrtc((13, 0));
        var cache = new KernelCache(second, dir);
        Assert.Equal(a, cache.GetOrCompile("kernel A", "a", 90));
        Assert.Equal(0, second.Calls);
        Assert.Single(Directory.GetFiles(dir));                     // no temporary file left behind
        Assert.Equal(a, cache.GetOrCompile("kernel A", "a", 90));   // and from memory the next time
        Assert.Equal(0, cache.Compilations);
    }

    [Fact]
    public void EntryFile_IsTheCubinsSha256ThenTheCubin()
    {
        var cubin = new KernelCache(new FakeNvrtc((13, 0)), dir).GetOrCompile("kernel B", "b", 90);
        var bytes = File.ReadAllBytes(Directory.GetFiles(dir).Single());
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(cubin)), Encoding.ASCII.GetString(bytes, 0, 64));
        Assert.Equal(cubin, bytes[64..]);
    }

    [Theory]
    [InlineData("flip")]
    [InlineData("truncate")]
    [InlineData("empty")]
    public void CorruptEntry_IsRecompiledAndRewritten(string damage)
    {
        var cubin = new KernelCache(new FakeNvrtc((13, 0)), dir).GetOrCompile("kernel C", "c", 90);
        string file = Directory.GetFiles(dir).Single();
        var bytes = File.ReadAllBytes(file);
        switch (damage)
        {
            case "flip": bytes[^1] ^= 0x55; File.WriteAllBytes(file, bytes); break;
            case "truncate": File.WriteAllBytes(file, bytes[..(bytes.Length - 3)]); break;
            default: File.WriteAllBytes(file, []); break;
        }
        Assert.Null(KernelCache.TryRead(file));
        var compiler = new FakeNvrtc((13, 0));
        Assert.Equal(cubin, new KernelCache(compiler, dir).GetOrCompile("kernel C", "c", 90));
        Assert.Equal(1, compiler.Calls);
        Assert.Equal(cubin, KernelCache.TryRead(file));
    }

    [Fact]
    public void CompileError_ThrowsWithTheLogAndStoresNothing()
    {
        var cache = new KernelCache(new FakeNvrtc((13, 0)), dir);
        var e = Assert.Throws<CudaException>(() => cache.GetOrCompile("#error broken", "bad", 90));
        Assert.Equal("NVRTC_ERROR_COMPILATION", e.ErrorName);
        Assert.Contains("bad.cu(1): error: #error directive", e.Message);
        Assert.False(Directory.Exists(dir) && Directory.GetFiles(dir).Length > 0);
    }

    [Fact]
    public void UnwritableFolder_StillCompiles()
    {
        string file = Path.Combine(Path.GetTempPath(), "bp-kcache-file-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(file, "not a folder");
        try
        {
            var cache = new KernelCache(new FakeNvrtc((13, 0)), Path.Combine(file, "sub"));
            Assert.NotEmpty(cache.GetOrCompile("kernel D", "d", 90));
        }
        finally { File.Delete(file); }
    }
}
