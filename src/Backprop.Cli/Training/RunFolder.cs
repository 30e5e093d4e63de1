using System.Diagnostics;
using System.Globalization;

namespace Backprop.Cli.Training;

/// <summary>
/// A run folder written as one unit. Every file goes into a sibling staging folder (<c>.NAME.tmp-PID</c>); <see cref="Commit"/>
/// renames it into place, first moving an existing folder aside (<c>.NAME.old-PID</c>) and deleting it afterwards. A process
/// killed at any point leaves either the old folder or the new one whole (between the two renames, the old one under its
/// aside name, which <see cref="Recover"/> puts back). Staging and aside folders of processes no longer running are cleaned
/// up by the next run that uses the same folder.
/// </summary>
internal sealed class RunFolder : IDisposable
{
    /// <summary>The files <c>train</c> and <c>eval</c> write into a run folder; a folder holding anything else is not replaced.</summary>
    public static readonly string[] Files = ["metrics.csv", "curves.png", "model.safetensors", "best.safetensors", "model.json", "confusion.png"];

    private bool committed;

    private RunFolder(string target, string staging) { Target = target; Staging = staging; }

    /// <summary>The folder the user asked for.</summary>
    public string Target { get; }

    /// <summary>Where the files are written until <see cref="Commit"/>.</summary>
    public string Staging { get; }

    /// <summary>The path of <paramref name="file"/> inside the staging folder.</summary>
    public string this[string file] => Path.Combine(Staging, file);

    /// <summary>Cleans up after dead processes, checks that <paramref name="target"/> may be replaced, and creates the staging folder.</summary>
    public static RunFolder Begin(string target)
    {
        target = Path.GetFullPath(target.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar) is { Length: > 0 } t ? t : target);
        Recover(target);
        if (TargetError(target) is string error) throw new ArgumentException(error);
        var staging = Sibling(target, "tmp", Environment.ProcessId);
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        Directory.CreateDirectory(staging);
        return new RunFolder(target, staging);
    }

    /// <summary>Why <paramref name="target"/> cannot be used as a run folder, or null: it must be new, empty, or a run folder.</summary>
    public static string? TargetError(string target)
    {
        if (File.Exists(target)) return $"--out: {target} is a file; give a folder";
        if (!Directory.Exists(target)) return null;
        var foreign = Directory.EnumerateFileSystemEntries(target).Select(Path.GetFileName)
            .Where(n => !Files.Contains(n) && !IsTemp(n!) || Directory.Exists(Path.Combine(target, n!))).Take(3).ToList();
        return foreign.Count == 0 ? null
            : $"--out: {target} holds {string.Join(", ", foreign)}, which a run does not write; train replaces its folder as a whole, so give a new or empty folder";
    }

    /// <summary>
    /// Undoes what a killed run left beside <paramref name="target"/>: puts an aside folder back if the target is missing, and
    /// deletes staging folders, aside folders and temporary files of processes that are no longer running.
    /// </summary>
    public static void Recover(string target)
    {
        target = Path.GetFullPath(target);
        var parent = Path.GetDirectoryName(target);
        if (parent is null || !Directory.Exists(parent)) return;
        string name = Path.GetFileName(target);
        foreach (var kind in new[] { "old", "tmp" })
            foreach (var dir in Directory.EnumerateDirectories(parent, $".{name}.{kind}-*"))
            {
                if (!int.TryParse(dir[(dir.LastIndexOf('-') + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || IsRunning(pid)) continue;
                if (kind == "old" && !Directory.Exists(target)) Directory.Move(dir, target);
                else Directory.Delete(dir, recursive: true);
            }
        if (Directory.Exists(target))
            foreach (var file in Directory.EnumerateFiles(target).Where(f => IsTemp(Path.GetFileName(f)) && !OwnedByLiveProcess(Path.GetFileName(f))))
                File.Delete(file);
    }

    /// <summary>Moves the staging folder into place as one unit.</summary>
    public void Commit()
    {
        if (!Directory.Exists(Target))
        {
            Directory.Move(Staging, Target);
        }
        else
        {
            var aside = Sibling(Target, "old", Environment.ProcessId);
            if (Directory.Exists(aside)) Directory.Delete(aside, recursive: true);
            Directory.Move(Target, aside);
            Directory.Move(Staging, Target);
            Directory.Delete(aside, recursive: true);
        }
        committed = true;
    }

    /// <summary>Deletes the staging folder if the run was not committed (an error): the old folder stays as it was.</summary>
    public void Dispose()
    {
        if (!committed && Directory.Exists(Staging)) Directory.Delete(Staging, recursive: true);
    }

    private static string Sibling(string target, string kind, int pid) =>
        Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.{kind}-{pid.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>Temporary files of an atomic write: <c>NAME.tmp</c> or SafeTensors' <c>.NAME.PID.tmp</c>.</summary>
    private static bool IsTemp(string name) => name.EndsWith(".tmp", StringComparison.Ordinal);

    private static bool OwnedByLiveProcess(string name)
    {
        var parts = name.Split('.');
        return parts.Length >= 3 && int.TryParse(parts[^2], NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && IsRunning(pid);
    }

    private static bool IsRunning(int pid)
    {
        if (pid == Environment.ProcessId) return true;
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException) { return false; }
    }
}
