using System.Globalization;

namespace Backprop.Distributed.Tests.Mpi;

/// <summary>The MPI process group on real Open MPI: 2 and 4 ranks started by mpirun, each rank a worker process.</summary>
[Collection("mpi")]
public class MpiProcessGroupTests
{
    private static long[] Longs(string s) => [.. s.Split(',').Select(v => long.Parse(v, CultureInfo.InvariantCulture))];
    private static double[] Doubles(string s) => [.. s.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture))];

    [MpiTheory]
    [InlineData(1)] // one rank: the collectives return without calling MPI
    [InlineData(2)]
    [InlineData(4)]
    public void Collectives_GiveTheClosedFormResults_OnEveryRank(int p)
    {
        var run = WorkerRuns.Check(p);
        foreach (var v in run.Results("size", p)) Assert.Equal(p.ToString(CultureInfo.InvariantCulture), v);
        foreach (var v in run.Results("thread_level", p)) Assert.True(int.Parse(v, CultureInfo.InvariantCulture) >= (int)ThreadLevel.Funneled);
        // Rank r contributes (r + 1, 2r), (r + 0.5, −r), (10 − r, max − r), r + 1, (r, 1).
        foreach (var v in run.Results("sum_float", p)) Assert.Equal([p * (p + 1) / 2.0, p * (p - 1)], Doubles(v));
        foreach (var v in run.Results("max_double", p)) Assert.Equal([p - 0.5, 0], Doubles(v));
        foreach (var v in run.Results("min_long", p)) Assert.Equal([11 - p, long.MaxValue - (p - 1)], Longs(v));
        double factorial = Enumerable.Range(1, p).Aggregate(1.0, (a, b) => a * b);
        foreach (var v in run.Results("product_double", p)) Assert.Equal([factorial], Doubles(v));
        foreach (var v in run.Results("async_sum_int", p)) Assert.Equal([p * (p - 1) / 2, p, 1], Longs(v));
        foreach (var v in run.Results("broadcast_from_last", p)) Assert.Equal([100 + p - 1, 200 + p - 1], Longs(v));
        long[] gathered = [.. Enumerable.Range(0, p).SelectMany(r => new long[] { r, r * r })];
        foreach (var v in run.Results("allgather_int", p)) Assert.Equal(gathered, Longs(v));
    }

    [MpiFact]
    public void BadArguments_AndMpiErrors_ThrowNamingTheCall_AndTheGroupStaysUsable()
    {
        var run = WorkerRuns.Check(2);
        foreach (var v in run.Results("gather_wrong_length", 2)) Assert.StartsWith("ArgumentException: MPI_Iallgather: the receive buffer holds 3 elements; it needs world size 2 × 1 = 2", v);
        foreach (var v in run.Results("broadcast_bad_root", 2)) Assert.StartsWith("ArgumentOutOfRangeException: MPI_Ibcast: root must be a rank in 0..1", v);
        foreach (var v in run.Results("unsupported_type", 2)) Assert.StartsWith("NotSupportedException: MPI_Iallreduce: element type Int16 is not supported", v);
        var mpi = run.Results("mpi_error", 2);
        for (int r = 0; r < 2; r++)
            Assert.StartsWith($"DistributedException: MPI_Iallreduce failed on rank {r} of 2: MPI_ERR_COUNT", mpi[r]);
        foreach (var v in run.Results("sum_after_errors", 2)) Assert.Equal("2", v);
    }

    [MpiFact]
    public void AThrowingRank_EndsEveryRank_WithItsMessage_WithinSeconds()
    {
        var run = MpiRun.Start(4, WorkerRuns.Dll, "throw 2", WorkerRuns.Deadline);
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("rank 2 of 4: unhandled exception, aborting the MPI job: System.InvalidOperationException: rank 2 failed on purpose", run.Output);
        Assert.DoesNotContain("R|done|", run.Output); // no rank got past the failure
        Assert.True(run.Elapsed < TimeSpan.FromSeconds(60), $"took {run.Elapsed}");
    }

    [MpiFact]
    public void ACollectiveAnotherRankNeverJoins_TimesOut_WithAMessage_InsteadOfHanging()
    {
        var run = MpiRun.Start(2, WorkerRuns.Dll, "timeout", WorkerRuns.Deadline);
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("MPI_Iallreduce did not complete within 00:00:03 on rank 0 of 2: at least one rank has not called it", run.Output);
        Assert.True(run.Elapsed < TimeSpan.FromSeconds(50), $"took {run.Elapsed}: rank 1 sleeps 60 s, so the job must have been aborted");
    }
}
