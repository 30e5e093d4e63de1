namespace Backprop.Backends.Checked;

/// <summary>The checked device's memory: the CPU's managed arrays and pool, behind storages that guard raw access.</summary>
internal sealed class CheckedAllocator : Cpu.CpuAllocator
{
    /// <summary>The one instance.</summary>
    public static new CheckedAllocator Instance { get; } = new();

    private CheckedAllocator() : base(guardsRawAccess: true) { }

    public override Device Device => Device.Checked;

    public override IBackend Backend => CheckedBackend.Instance;
}
