namespace Backprop.Backends;

/// <summary>
/// Marks the calling thread as running inside a backend primitive. The checked test device's storages refuse raw
/// access unless it is set, so a code path that reaches numbers without going through <see cref="IBackend"/> fails.
/// The worker pool carries the mark to the threads that run parts of a primitive.
/// </summary>
internal static class BackendGuard
{
    [ThreadStatic] private static int depth;

    /// <summary>True while the calling thread runs a primitive of a guarding backend.</summary>
    public static bool Inside => depth > 0;

    /// <summary>Sets the mark until the returned value is disposed.</summary>
    public static Scope Enter()
    {
        depth++;
        return default;
    }

    /// <summary>Clears the mark set by <see cref="Enter"/>.</summary>
    public readonly struct Scope : IDisposable
    {
        public void Dispose() => depth--;
    }

    /// <summary><paramref name="body"/> run with the mark set on whichever thread runs it.</summary>
    public static Action<int> Carry(Action<int> body) => i =>
    {
        using var _ = Enter();
        body(i);
    };
}
