using Backprop.Backends;

namespace Backprop.Tests.Backends;

/// <summary>
/// Tests that check which buffer a tensor holds (pool recycling) read it here, marked as inside the backend, so they
/// also run on the checked device; nothing else in the tests touches a buffer.
/// </summary>
internal static class RawBuffer
{
    /// <summary>The buffer object behind <paramref name="t"/> (compare with <c>Assert.Same</c>).</summary>
    public static Array Of(Tensor t)
    {
        using var _ = BackendGuard.Enter();
        return t.Storage.Data;
    }
}
