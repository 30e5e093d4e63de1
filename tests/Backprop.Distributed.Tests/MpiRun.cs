using System.Diagnostics;
using System.Text;

namespace Backprop.Distributed.Tests;

/// <summary>
/// Starts a .NET program under <c>mpirun -np N --oversubscribe</c> as a child process and collects its output. A run that
/// outlives its deadline is killed with its whole process tree and reported with everything it printed, so a hung rank
/// fails the test instead of hanging CI.
/// </summary>
public sealed record MpiRun(int ExitCode, string Output, TimeSpan Elapsed)
{
    /// <summary>The mpirun on PATH, or null when Open MPI is not installed.</summary>
    public static string? Mpirun { get; } = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
        .Select(d => Path.Combine(d, "mpirun")).FirstOrDefault(File.Exists);

    public const string SkipReason = "mpirun is not installed (sudo apt-get install openmpi-bin libopenmpi-dev); .ci/run installs it, so these tests run in CI";

    /// <summary>Runs <c>dotnet <paramref name="dll"/> <paramref name="args"/></c> on <paramref name="ranks"/> ranks.</summary>
    public static MpiRun Start(int ranks, string dll, string args, TimeSpan deadline, string? workingDirectory = null)
    {
        if (Mpirun is null) throw new InvalidOperationException(SkipReason);
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        string root = Environment.UserName == "root" ? "--allow-run-as-root " : "";
        var info = new ProcessStartInfo(Mpirun, $"{root}--oversubscribe --bind-to none -np {ranks} {dotnet} {dll} {args}")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
        };
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["TERM"] = "dumb";
        var output = new StringBuilder();
        var clock = Stopwatch.StartNew();
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(deadline))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException($"mpirun -np {ranks} {Path.GetFileName(dll)} {args} did not finish within {deadline.TotalSeconds:F0} s and was killed. Output:\n{output}");
        }
        process.WaitForExit(); // drains the asynchronous readers
        return new MpiRun(process.ExitCode, output.ToString(), clock.Elapsed);
    }

    /// <summary>The payloads of the result lines <c>R|key|rank|payload</c> for <paramref name="key"/>, indexed by rank.</summary>
    public string[] Results(string key, int ranks)
    {
        var found = new string?[ranks];
        foreach (var line in Output.Split('\n'))
        {
            int at = line.IndexOf("R|", StringComparison.Ordinal);
            if (at < 0) continue;
            var parts = line[at..].TrimEnd('\r').Split('|', 4);
            if (parts.Length == 4 && parts[1] == key && int.TryParse(parts[2], out int r) && r < ranks) found[r] = parts[3];
        }
        for (int r = 0; r < ranks; r++)
            if (found[r] is null) throw new Xunit.Sdk.XunitException($"rank {r} printed no result '{key}'. Exit code {ExitCode}; output:\n{Output}");
        return found!;
    }
}

/// <summary>A fact that needs mpirun: skipped, with the install command as the reason, where Open MPI is missing.</summary>
public sealed class MpiFactAttribute : FactAttribute
{
    public MpiFactAttribute() { if (MpiRun.Mpirun is null) Skip = MpiRun.SkipReason; }
}

/// <summary>A theory that needs mpirun (see <see cref="MpiFactAttribute"/>).</summary>
public sealed class MpiTheoryAttribute : TheoryAttribute
{
    public MpiTheoryAttribute() { if (MpiRun.Mpirun is null) Skip = MpiRun.SkipReason; }
}
