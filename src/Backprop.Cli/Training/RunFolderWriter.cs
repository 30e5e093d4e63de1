using System.Diagnostics;
using System.Globalization;

namespace Backprop.Cli.Training;

/// <summary>
/// How <c>train</c> writes its run folder so that a reader never loads a mixed set. Every file is written in the real folder
/// through <see cref="Backprop.IO.AtomicFile"/> (temporary file, flush, rename), in a fixed order with <c>model.json</c> last:
/// during training best.safetensors (when the validation accuracy improves), metrics.csv and checkpoint.safetensors after every
/// epoch; at the end model.safetensors, metrics.csv, curves.png, then model.json. A new run in a reused folder, just before
/// its first write, deletes the previous run's model.json first (then its other files), so the folder is never a "complete set"
/// (model.json beside weights it describes) while it is being rewritten, and a run that fails before its first epoch ends
/// leaves the old set untouched; loaders (<c>eval</c>, <c>predict</c>, <c>export</c>) read
/// model.json through <see cref="ModelSpecReader"/>, which checks it against the weights. A killed run stays resumable from its
/// checkpoint, which carries its own copy of model.json. Temporary files of processes no longer running are deleted by the
/// next run (or load) of the folder.
/// </summary>
internal sealed class RunFolderWriter
{
    /// <summary>The files <c>train</c> and <c>eval</c> write into a run folder; a folder holding anything else is not reused.</summary>
    public static readonly string[] Files = ["model.json", RunFolder.CheckpointFile, "model.safetensors", "best.safetensors", "metrics.csv", "curves.png", "confusion.png"];

    private readonly bool newRun;
    private bool started;

    private RunFolderWriter(string dir, bool newRun) { Dir = dir; this.newRun = newRun; }

    /// <summary>The run folder (a full path).</summary>
    public string Dir { get; }

    /// <summary>The path of <paramref name="file"/> in the run folder, after <see cref="BeforeWrite"/>.</summary>
    public string this[string file] { get { BeforeWrite(); return Path.Combine(Dir, file); } }

    /// <summary>
    /// Checks that <paramref name="target"/> may be used (new, empty, or a run folder) and cleans temp files of dead processes.
    /// Nothing is deleted or written yet: a run that fails or is interrupted before its first epoch leaves the folder as it was.
    /// </summary>
    public static RunFolderWriter Begin(string target, bool newRun)
    {
        target = Path.GetFullPath(target);
        if (TargetError(target) is string error) throw new ArgumentException(error);
        CleanStaleTempFiles(target);
        return new RunFolderWriter(target, newRun);
    }

    /// <summary>
    /// Before the run's first file: creates the folder and, for a new run (not <c>--resume</c>), deletes the previous run's files,
    /// model.json first, so that from here until the new model.json the folder is not a loadable set.
    /// </summary>
    public void BeforeWrite()
    {
        if (started) return;
        started = true;
        Directory.CreateDirectory(Dir);
        if (newRun)
            foreach (var file in Files)
                File.Delete(Path.Combine(Dir, file));
    }

    /// <summary>Why <paramref name="target"/> cannot be used as a run folder, or null: it must be new, empty, or a run folder.</summary>
    public static string? TargetError(string target)
    {
        if (File.Exists(target)) return $"--out: {target} is a file; give a folder";
        if (!Directory.Exists(target)) return null;
        var foreign = Directory.EnumerateFileSystemEntries(target).Select(Path.GetFileName)
            .Where(n => !Files.Contains(n) && !IsTemp(n!) || Directory.Exists(Path.Combine(target, n!))).Take(3).ToList();
        return foreign.Count == 0 ? null
            : $"--out: {target} holds {string.Join(", ", foreign)}, which a run does not write; train rewrites its folder, so give a new or empty folder";
    }

    /// <summary>Deletes temporary files in <paramref name="dir"/> left by processes that are no longer running.</summary>
    public static void CleanStaleTempFiles(string dir)
    {
        if (!Directory.Exists(dir)) return;
        foreach (var file in Directory.EnumerateFiles(dir).Where(f => IsTemp(Path.GetFileName(f)) && !OwnedByLiveProcess(Path.GetFileName(f))))
        {
            try { File.Delete(file); }
            catch (IOException) { } // another process got there first
            catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>Temporary files of an atomic write: AtomicFile's <c>.NAME.PID.GUID.tmp</c>, or older <c>NAME.tmp</c> / <c>.NAME.PID.tmp</c>.</summary>
    private static bool IsTemp(string name) => name.EndsWith(".tmp", StringComparison.Ordinal);

    /// <summary>Whether a temp file's name carries the id of a running process (AtomicFile puts it before the GUID).</summary>
    private static bool OwnedByLiveProcess(string name)
    {
        var parts = name.Split('.');
        for (int i = Math.Max(0, parts.Length - 3); i < parts.Length - 1; i++)
            if (parts[i].Length is > 0 and <= 10 && int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && IsRunning(pid))
                return true;
        return false;
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
