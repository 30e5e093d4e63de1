using System.Collections.Concurrent;

namespace Backprop.Distributed.Tests;

/// <summary>
/// One <c>mpirun -np N Backprop.Distributed.Worker check</c> per rank count, shared by the tests that read its results (each
/// run takes seconds, mostly process start-up). Tests that need mpirun are in one collection so that jobs do not
/// oversubscribe the machine further by running side by side.
/// </summary>
internal static class WorkerRuns
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(150);
    private static readonly ConcurrentDictionary<int, Lazy<MpiRun>> checks = new();

    public static string Dll => Path.Combine(AppContext.BaseDirectory, "Backprop.Distributed.Worker.dll");

    public static MpiRun Check(int ranks)
    {
        var run = checks.GetOrAdd(ranks, n => new Lazy<MpiRun>(() => MpiRun.Start(n, Dll, "check", Deadline))).Value;
        Assert.True(run.ExitCode == 0, $"mpirun -np {ranks} worker check exited with {run.ExitCode}:\n{run.Output}");
        return run;
    }
}

[CollectionDefinition("mpi", DisableParallelization = true)]
public sealed class MpiCollection;
