using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using CsCheck;

namespace Backprop.Tests.Fuzz;

/// <summary>
/// Generators of damaged files for the loader fuzz suites: byte-level damage (truncation, flipped bytes, inserted and
/// deleted runs, 32/64-bit integers overwritten with lies such as 2^31 and 10^9) and text-level damage for the JSON and CSV
/// formats (numbers replaced by lies, nulls, wrong types, lines dropped or duplicated). Shared with the CLI tests.
/// </summary>
internal static class Mutation
{
    /// <summary>The fixed seed of every fuzz run, so a failure reproduces; CsCheck prints the failing case's own seed too.</summary>
    public static readonly string Seed = new PCG(7, 2026).ToString();

    /// <summary>Integers a corrupt or hostile file might claim.</summary>
    public static readonly long[] Lies = [0, 1, -1, 7, 255, 65536, 1_000_000_000, int.MaxValue, 1L << 31, uint.MaxValue, 1L << 32, 1L << 40, long.MaxValue, long.MinValue];

    /// <summary>Text that replaces a token in a JSON or CSV file.</summary>
    public static readonly string[] TextLies =
    [
        "null", "\"x\"", "[]", "{}", "true", "-1", "0", "1e9", "1000000000", "2147483647", "2147483648", "4294967296", "1e39", "-1e39",
        "1e400", "NaN", "Infinity", "-0", "0.5", "\"\"", "[1,2]", "{\"a\":1}", "\"F16\"", "\"I64\"", ",", "\"", "\\u0000", "9223372036854775808",
    ];

    /// <summary>One byte-level mutation of <paramref name="original"/>.</summary>
    public static Gen<byte[]> Bytes(byte[] original) => Gen.Int[0, 5].SelectMany(kind => kind switch
    {
        0 => Gen.Int[0, Math.Max(0, original.Length - 1)].Select(n => original[..n]),                          // truncated
        1 => Gen.Select(Gen.Int[0, original.Length - 1].Array[1, 8], Gen.Byte.Array[8], (at, v) =>            // flipped bytes
        {
            var b = (byte[])original.Clone();
            for (int i = 0; i < at.Length; i++) b[at[i]] = v[i];
            return b;
        }),
        2 => Gen.Select(Gen.Int[0, original.Length], Gen.Byte.Array[1, 64], (at, ins) => (byte[])[.. original[..at], .. ins, .. original[at..]]), // inserted
        3 => Gen.Select(Gen.Int[0, original.Length - 1], Gen.Int[1, 64], (at, n) => (byte[])[.. original[..at], .. original[Math.Min(original.Length, at + n)..]]), // deleted
        _ => Gen.Select(Gen.Int[0, Math.Max(0, original.Length - 8)], Gen.Int[0, Lies.Length - 1], Gen.Int[0, 3], (at, lie, form) => // an integer lie
        {
            var b = (byte[])original.Clone();
            var span = b.AsSpan(at, Math.Min(8, b.Length - at));
            long v = Lies[lie];
            switch (form)
            {
                case 0 when span.Length >= 4: BinaryPrimitives.WriteInt32BigEndian(span, (int)v); break;
                case 1 when span.Length >= 4: BinaryPrimitives.WriteInt32LittleEndian(span, (int)v); break;
                case 2 when span.Length >= 8: BinaryPrimitives.WriteInt64LittleEndian(span, v); break;
                default: if (span.Length > 0) span[0] = (byte)v; break;
            }
            return b;
        }),
    });

    /// <summary>One text-level mutation: a token (number, string, word) replaced by a lie, or a line dropped or duplicated.</summary>
    public static Gen<string> Text(string original)
    {
        var tokens = Tokenize(original);
        var lines = original.Split('\n');
        return Gen.Int[0, 3].SelectMany(kind => kind switch
        {
            0 or 1 when tokens.Count > 0 => Gen.Select(Gen.Int[0, tokens.Count - 1], Gen.Int[0, TextLies.Length - 1],
                (t, lie) => original[..tokens[t].Start] + TextLies[lie] + original[(tokens[t].Start + tokens[t].Length)..]),
            2 => Gen.Int[0, lines.Length - 1].Select(i => string.Join('\n', lines.Where((_, j) => j != i))),
            _ => Gen.Int[0, lines.Length - 1].Select(i => string.Join('\n', lines.Take(i + 1).Append(lines[i]).Concat(lines.Skip(i + 1)))),
        });
    }

    /// <summary>Numbers, quoted strings and bare words, as (start, length).</summary>
    private static List<(int Start, int Length)> Tokenize(string s)
    {
        var tokens = new List<(int, int)>();
        for (int i = 0; i < s.Length;)
        {
            int start = i;
            if (s[i] == '"') { i++; while (i < s.Length && s[i] != '"') i++; i = Math.Min(s.Length, i + 1); }
            else if (char.IsLetterOrDigit(s[i]) || s[i] is '-' or '.' or '+') { while (i < s.Length && (char.IsLetterOrDigit(s[i]) || s[i] is '-' or '.' or '+')) i++; }
            else { i++; continue; }
            tokens.Add((start, i - start));
        }
        return tokens;
    }

    /// <summary>gzip-compresses <paramref name="data"/>.</summary>
    public static byte[] Gzip(byte[] data)
    {
        var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(data);
        return output.ToArray();
    }

    /// <summary>How many bytes a (possibly damaged) gzip stream really yields before it ends or breaks: what a reader may hold.</summary>
    public static long GunzipLength(byte[] data)
    {
        if (data.Length < 2 || data[0] != 0x1F || data[1] != 0x8B) return data.Length;
        long n = 0;
        try
        {
            using var gz = new GZipStream(new MemoryStream(data), CompressionMode.Decompress);
            var buffer = new byte[65536];
            int r;
            while ((r = gz.Read(buffer)) > 0 && n < 1L << 30) n += r;
        }
        catch (InvalidDataException) { }
        return n;
    }

    /// <summary>
    /// Runs <paramref name="load"/> on a case and checks the contract: it returns, or throws <see cref="InvalidDataException"/>
    /// naming <paramref name="path"/>; it allocates at most a fixed multiple of the bytes really present; it finishes quickly.
    /// </summary>
    public static void AssertLoadOrNamedError(string path, long realBytes, Action load, Func<string>? describe = null)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try { load(); }
        catch (InvalidDataException e)
        {
            Assert.True(e.Message.Contains(path, StringComparison.Ordinal), $"the message does not name the file: {e.Message}\n{describe?.Invoke()}");
        }
        catch (Exception e)
        {
            Assert.Fail($"{e.GetType().Name} is not the documented InvalidDataException: {e.Message}\n{describe?.Invoke()}\n{e.StackTrace}");
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated <= 64 * realBytes + (8 << 20), $"allocated {allocated} bytes for a file of {realBytes} real bytes\n{describe?.Invoke()}");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed.TotalSeconds:F1} s\n{describe?.Invoke()}");
    }

    /// <summary>Runs a whole fuzz suite with a wall-clock bound, so a hang fails the test instead of stalling the run.</summary>
    public static void Bounded(Action suite, int seconds = 240)
    {
        var task = Task.Factory.StartNew(suite, TaskCreationOptions.LongRunning);
        Assert.True(task.Wait(TimeSpan.FromSeconds(seconds)), $"the fuzz suite did not finish in {seconds} s: a loader hangs");
        task.GetAwaiter().GetResult();
    }

    /// <summary>Bytes as hex (first 200) for failure messages.</summary>
    public static string Hex(byte[] b) => Convert.ToHexString(b.AsSpan(0, Math.Min(200, b.Length))) + (b.Length > 200 ? $"... ({b.Length} bytes)" : "");

    /// <summary>A UTF-8 string's bytes.</summary>
    public static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    /// <summary>Invariant-culture text of a float.</summary>
    public static string F(float v) => v.ToString("R", CultureInfo.InvariantCulture);
}
