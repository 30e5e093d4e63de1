// Runs under mpirun for Backprop.Distributed.Tests; one process per rank. Each line "R|key|rank|payload" is a result the
// test asserts on. Modes: check (collectives and DDP training against a single-process reference), throw <rank>, timeout.
using Backprop;
using Backprop.Distributed;
using Backprop.Distributed.Worker;

Threading.SetNumThreads(1); // one compute thread per rank
string mode = args.Length > 0 ? args[0] : "check";
var group = MpiProcessGroup.Init(timeout: mode == "timeout" ? TimeSpan.FromSeconds(3) : TimeSpan.FromSeconds(120));
switch (mode)
{
    case "check":
        Collectives.Run(group);
        TrainingCheck.Run(group, DType.Float32, bucketCapMb: 0.002, accumulate: 1);
        TrainingCheck.Run(group, DType.Float64, bucketCapMb: 25, accumulate: 1);
        TrainingCheck.Run(group, DType.Float32, bucketCapMb: 0.002, accumulate: 3);
        TrainingCheck.Run(group, DType.Float64, bucketCapMb: 25, accumulate: 3);
        break;
    case "throw":
        // The failing rank throws between collectives; the others are already waiting in the next all-reduce.
        int failing = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
        var buffer = new float[4];
        group.AllReduce<float>(buffer);
        if (group.Rank == failing) throw new InvalidOperationException($"rank {failing} failed on purpose");
        group.AllReduce<float>(buffer);
        break;
    case "timeout":
        // Rank 1 skips a collective and stays alive: rank 0's all-reduce must time out with a message, not hang.
        if (group.Rank == 1) Thread.Sleep(TimeSpan.FromSeconds(60));
        group.AllReduce<float>(new float[4]);
        break;
    default:
        throw new ArgumentException($"unknown mode '{mode}'");
}
group.Dispose();
Console.WriteLine($"R|done|{group.Rank}|ok");
