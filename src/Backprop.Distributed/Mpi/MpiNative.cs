using System.Reflection;
using System.Runtime.InteropServices;

namespace Backprop.Distributed;

/// <summary>
/// The MPI functions Backprop calls, bound with <c>LibraryImport</c> to the system's <c>libmpi</c>, which is loaded on the
/// first call only (so nothing MPI is loaded unless a process group is created). Open MPI's handles
/// (<c>MPI_COMM_WORLD</c>, <c>MPI_FLOAT</c>, <c>MPI_SUM</c>, …) are the addresses of exported objects
/// (<c>ompi_mpi_comm_world</c>, …), read with <see cref="NativeLibrary.GetExport"/>.
/// </summary>
internal static unsafe partial class MpiNative
{
    private const string Lib = "backprop-mpi"; // a placeholder name the resolver below maps to the loaded libmpi

    /// <summary>Library names tried in order after <c>BACKPROP_MPI_LIBRARY</c>: Open MPI 4.x/5.x's soname, then the dev link.</summary>
    private static readonly string[] Candidates = ["libmpi.so.40", "libmpi.so"];

    private static nint handle;
    private static string? loadedFrom;
    private static readonly Lock gate = new();

    /// <summary>Loads libmpi (once) and returns its handle; throws naming every path tried and the install command.</summary>
    public static nint Load()
    {
        lock (gate)
        {
            if (handle != 0) return handle;
            var tried = new List<string>();
            var names = Environment.GetEnvironmentVariable("BACKPROP_MPI_LIBRARY") is { Length: > 0 } custom ? [custom, .. Candidates] : Candidates;
            foreach (var name in names)
            {
                tried.Add(name);
                // RTLD_GLOBAL: Open MPI's plugins (mca_*.so) resolve libmpi's symbols from the global namespace.
                nint h = Dl.Open(name, Dl.RtldNow | Dl.RtldGlobal);
                if (h == 0) continue;
                handle = h;
                loadedFrom = name;
                NativeLibrary.SetDllImportResolver(typeof(MpiNative).Assembly, Resolve);
                return h;
            }
            throw new DllNotFoundException(
                $"MPI: could not load the MPI library (tried {string.Join(", ", tried)}). Install Open MPI " +
                "(Debian/Ubuntu: sudo apt-get install openmpi-bin libopenmpi-dev) or set BACKPROP_MPI_LIBRARY to the path of libmpi.so.");
        }
    }

    /// <summary>The library name or path libmpi was loaded from.</summary>
    public static string LoadedFrom => loadedFrom ?? "(not loaded)";

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? path) => name == Lib ? handle : 0;

    /// <summary>The address of an exported symbol: for Open MPI's predefined objects, the handle itself.</summary>
    public static nint Export(string symbol) =>
        NativeLibrary.TryGetExport(Load(), symbol, out var address) ? address
            : throw new NotSupportedException(
                $"MPI: the library {LoadedFrom} does not export '{symbol}', so it is not Open MPI. Backprop.Distributed supports Open MPI 4.x and 5.x " +
                "(libmpi.so.40); point BACKPROP_MPI_LIBRARY at an Open MPI libmpi.so.");

    [LibraryImport(Lib)] public static partial int MPI_Init_thread(int* argc, byte*** argv, int required, int* provided);
    [LibraryImport(Lib)] public static partial int MPI_Initialized(int* flag);
    [LibraryImport(Lib)] public static partial int MPI_Finalized(int* flag);
    [LibraryImport(Lib)] public static partial int MPI_Finalize();
    [LibraryImport(Lib)] public static partial int MPI_Abort(nint comm, int errorcode);
    [LibraryImport(Lib)] public static partial int MPI_Comm_rank(nint comm, int* rank);
    [LibraryImport(Lib)] public static partial int MPI_Comm_size(nint comm, int* size);
    [LibraryImport(Lib)] public static partial int MPI_Comm_set_errhandler(nint comm, nint errhandler);
    [LibraryImport(Lib)] public static partial int MPI_Error_string(int errorcode, byte* text, int* length);
    [LibraryImport(Lib)] public static partial int MPI_Get_library_version(byte* version, int* length);
    [LibraryImport(Lib)] public static partial int MPI_Iallreduce(void* send, void* receive, int count, nint datatype, nint op, nint comm, nint* request);
    [LibraryImport(Lib)] public static partial int MPI_Ibcast(void* buffer, int count, nint datatype, int root, nint comm, nint* request);
    [LibraryImport(Lib)] public static partial int MPI_Iallgather(void* send, int sendCount, nint sendType, void* receive, int receiveCount, nint receiveType, nint comm, nint* request);
    [LibraryImport(Lib)] public static partial int MPI_Ibarrier(nint comm, nint* request);
    [LibraryImport(Lib)] public static partial int MPI_Test(nint* request, int* flag, void* status);

    /// <summary>MPI's text for an error code, e.g. "MPI_ERR_COUNT: invalid count argument".</summary>
    public static string ErrorString(int code)
    {
        byte* text = stackalloc byte[512]; // MPI_MAX_ERROR_STRING is 256 in Open MPI
        int length = 0;
        return MPI_Error_string(code, text, &length) == 0 ? new string((sbyte*)text, 0, Math.Clamp(length, 0, 511)) : $"MPI error {code}";
    }

    /// <summary>MPI_Get_library_version's text, first line only.</summary>
    public static string LibraryVersion()
    {
        byte* text = stackalloc byte[8192]; // MPI_MAX_LIBRARY_VERSION_STRING
        int length = 0;
        if (MPI_Get_library_version(text, &length) != 0) return "unknown MPI";
        return new string((sbyte*)text, 0, Math.Clamp(length, 0, 8191)).TrimEnd('\0').Split('\n')[0].Trim().TrimEnd(',');
    }

    /// <summary>libc's dlopen: .NET's NativeLibrary.Load opens with RTLD_LOCAL, which hides libmpi from Open MPI's plugins.</summary>
    private static partial class Dl
    {
        public const int RtldNow = 2, RtldGlobal = 0x100;

        [LibraryImport("libc", EntryPoint = "dlopen", StringMarshalling = StringMarshalling.Utf8)]
        public static partial nint Open(string file, int mode);
    }
}
