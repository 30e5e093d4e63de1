using Backprop.Backends;

namespace Backprop.Tests.Backends;

/// <summary>
/// The device this test run creates tensors on: the CPU, or the checked device in the suite's second pass
/// (<c>BACKPROP_TEST_DEVICE=checked</c>, see README's test command).
/// </summary>
internal static class TestDevice
{
    /// <summary>Where <c>Tensor.Zeros</c> and friends put new tensors in this run.</summary>
    public static Device Default => Allocators.Default.Device;

    /// <summary>True in the checked pass.</summary>
    public static bool IsChecked => Default == Device.Checked;
}
