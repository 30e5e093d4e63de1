using Backprop.Backends;
using Backprop.Backends.Cuda;
using Backprop.DeviceCheck;

namespace Backprop.Tests.Backends.Cuda.Emulator;

/// <summary>
/// The GPU check's parity groups (bench/Backprop.DeviceCheck, linked into this project) run on the host emulator: every
/// kernel, launched through <see cref="CudaDevice"/> with odd block sizes, against the CPU backend on the same inputs
/// (Float64 to 1e-12 and Float32 to 1e-5 relative; odd sizes; broadcast strides). The GEMM group runs on
/// <see cref="HostBlas"/>, which checks the row-major mapping; the allocator group on the emulator's memory.
/// </summary>
public class DeviceCheckOnEmulatorTests
{
    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var g in Groups.Names) data.Add(g, 7);
        data.Add("reduce", 32);
        data.Add("scans", 32); // SumAll's block tree with a power of two
        data.Add("scans", 1);  // and with one thread a block
        data.Add("indexing", 64); // fewer threads than work items of a launch, and more than some
        data.Add("windows", 1);
        return data;
    }

    /// <summary>The GPU check's op parity (35 ops forward and backward through the public API) with the emulated device as its target.</summary>
    [EmulatorFact]
    public void OpParity_OnTheEmulatedDevice_Passes()
    {
        using var emulated = new EmulatedDevice(blas: new HostBlas());
        FashionData.Target = new CudaAllocator(emulated.Device);
        try { Assert.Equal(0, OpParity.Run()); }
        finally { FashionData.Target = null!; } // back to unset: the check opens its device on first use
    }

    [EmulatorFact]
    public void Conv_InChunksOfOneImage_MatchesTheCpuBackend()
    {
        long budget = CudaKernels.ColumnBudget;
        CudaKernels.ColumnBudget = 1; // one image per chunk: the weight gradient accumulates over chunks
        try { Group_MatchesTheCpuBackend("conv", 7); }
        finally { CudaKernels.ColumnBudget = budget; }
    }

    [EmulatorTheory]
    [MemberData(nameof(Cases))]
    public void Group_MatchesTheCpuBackend(string group, int blockSize)
    {
        using var emulated = new EmulatedDevice(blockSize, blas: new HostBlas());
        var log = new List<string>();
        var parity = new Parity(emulated.Device, log.Add);
        using (BackendGuard.Enter()) Groups.Get(group)(emulated.Device, parity);
        Assert.True(parity.Checks > 0, "the group compared nothing");
        Assert.True(group is "allocator" or "gemm" || emulated.Driver.Launches > 0, "no kernel ran on the emulator"); // those two are cuBLAS and memory only
        if (Environment.GetEnvironmentVariable("BACKPROP_EMULATOR_LOG") == "1") Console.WriteLine(string.Join('\n', log));
        Assert.True(parity.Failures == 0, $"group {group} (block {blockSize}): {parity.Failures}/{parity.Checks} failed:\n{string.Join('\n', log)}");
    }
}
