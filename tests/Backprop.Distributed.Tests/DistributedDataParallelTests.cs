namespace Backprop.Distributed.Tests;

/// <summary>
/// DistributedDataParallel on 2 and 4 ranks (one compute thread each) against a single-process run of the same model on
/// the same global batches, computed inside each worker: 5 SGD-momentum steps on the embedded digits, with and without
/// NoSync gradient accumulation over 3 micro-batches, Float32 with several buckets and Float64 with one.
/// </summary>
[Collection("mpi")]
public class DistributedDataParallelTests
{
    [MpiTheory]
    [InlineData(2, "Float32", 1, 1e-6)]
    [InlineData(2, "Float64", 1, 1e-12)]
    [InlineData(2, "Float32", 3, 1e-6)]
    [InlineData(2, "Float64", 3, 1e-12)]
    [InlineData(4, "Float32", 1, 1e-6)]
    [InlineData(4, "Float64", 1, 1e-12)]
    [InlineData(4, "Float32", 3, 1e-6)]
    [InlineData(4, "Float64", 3, 1e-12)]
    public void EveryRankEndsWithTheSameWeights_AsOneProcessOnTheGlobalBatches(int ranks, string dtype, int accumulate, double tolerance)
    {
        var results = WorkerRuns.Check(ranks).Results($"train_{dtype}_accumulate{accumulate}", ranks).Select(Parse).ToArray();
        foreach (var r in results)
        {
            Assert.True(r["relative_difference"] <= tolerance, $"max |ddp − single| / max |single| = {r["relative_difference"]:E3} > {tolerance:E0}");
            Assert.True(r["moved"] > 1e-2, "training must move the weights for the comparison to mean anything");
        }
        var hashes = WorkerRuns.Check(ranks).Results($"train_{dtype}_accumulate{accumulate}", ranks).Select(s => Field(s, "hash")).ToArray();
        Assert.All(hashes, h => Assert.Equal(hashes[0], h)); // bit-identical replicas
        Assert.Equal(dtype == "Float32" ? "3" : "1", Field(WorkerRuns.Check(ranks).Results($"train_{dtype}_accumulate{accumulate}", ranks)[0], "buckets"));
    }

    [MpiTheory]
    [InlineData(2)]
    [InlineData(4)]
    public void NoSync_KeepsLocalGradients_UntilTheSynchronisedBackward(int ranks)
    {
        foreach (var payload in WorkerRuns.Check(ranks).Results("train_Float64_accumulate3", ranks))
            Assert.Equal("True,True,False", Field(payload, "grads_differ_after_each_backward"));
        foreach (var payload in WorkerRuns.Check(ranks).Results("train_Float64_accumulate1", ranks))
            Assert.Equal("False", Field(payload, "grads_differ_after_each_backward"));
    }

    private static string Field(string payload, string name) =>
        payload.Split(';').Select(kv => kv.Split('=', 2)).Single(kv => kv[0] == name)[1];

    private static Dictionary<string, double> Parse(string payload) => new()
    {
        ["relative_difference"] = double.Parse(Field(payload, "relative_difference"), System.Globalization.CultureInfo.InvariantCulture),
        ["moved"] = double.Parse(Field(payload, "moved"), System.Globalization.CultureInfo.InvariantCulture),
    };
}
