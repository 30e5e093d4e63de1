using System.Globalization;

namespace Backprop;

/// <summary>The kind of a <see cref="Device"/> (<c>torch.device.type</c>).</summary>
public enum DeviceKind : byte
{
    /// <summary>The host processor and memory (<c>"cpu"</c>).</summary>
    Cpu,
    /// <summary>An NVIDIA GPU (<c>"cuda:N"</c>); experimental, not yet verified on a GPU, and some ops are not on it yet (see <see cref="Backprop.Cuda"/>).</summary>
    Cuda,
}

/// <summary>
/// Where a tensor's numbers live: a kind and an index (<c>torch.device</c>). <see cref="Cpu"/> is the default and the
/// reference; <see cref="Cuda"/> names an NVIDIA GPU for the experimental CUDA backend. Parsed from
/// PyTorch's strings (<c>"cpu"</c>, <c>"cuda"</c>, <c>"cuda:1"</c>) and printed the same way.
/// </summary>
public readonly record struct Device
{
    private Device(DeviceKind kind, int index)
    {
        Kind = kind;
        Index = index;
    }

    /// <summary>The device type (<c>device.type</c>).</summary>
    public DeviceKind Kind { get; }

    /// <summary>The device ordinal, 0 for the CPU (<c>device.index</c>).</summary>
    public int Index { get; }

    /// <summary>The host (<c>torch.device("cpu")</c>).</summary>
    public static Device Cpu { get; } = new(DeviceKind.Cpu, 0);

    /// <summary>The GPU with ordinal <paramref name="index"/> (<c>torch.device("cuda", index)</c>).</summary>
    public static Device Cuda(int index = 0)
    {
        if (index < 0 || index >= MaxDevices)
            throw new ArgumentOutOfRangeException(nameof(index), $"Device index must be in [0, {MaxDevices}), got {index}.");
        return new(DeviceKind.Cuda, index);
    }

    private const int MaxDevices = 512; // c10's MAX_NUM_DEVICES

    /// <summary>
    /// The test-only checked device: CPU memory and kernels, but its storages refuse raw access from outside the backend
    /// (see <c>Backends/Checked/</c>). Not part of the public <see cref="DeviceKind"/> and not parsed from a string.
    /// </summary>
    internal static Device Checked { get; } = new(CheckedKind, 0);

    /// <summary>The kind of <see cref="Checked"/>, outside the public enum's values.</summary>
    internal const DeviceKind CheckedKind = (DeviceKind)0x7F;

    /// <summary>
    /// Parses <c>"cpu"</c>, <c>"cpu:0"</c>, <c>"cuda"</c> (= <c>"cuda:0"</c>) or <c>"cuda:N"</c> like <c>torch.device(str)</c>:
    /// lower-case type, optional <c>:index</c> without sign or leading zeros; anything else throws naming the string.
    /// </summary>
    public static Device Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int colon = text.IndexOf(':');
        string type = colon < 0 ? text : text[..colon];
        int index = 0;
        if (colon >= 0)
        {
            string digits = text[(colon + 1)..];
            bool valid = digits.Length > 0 && digits.All(char.IsAsciiDigit) && (digits.Length == 1 || digits[0] != '0')
                && int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out index);
            if (!valid) throw new FormatException($"Invalid device string: '{text}'. Use 'cpu', 'cuda' or 'cuda:N'.");
        }
        return type switch
        {
            "cpu" when index == 0 => Cpu,
            "cpu" => throw new FormatException($"Invalid device string: '{text}'. The CPU device index must be 0."),
            "cuda" => index < MaxDevices ? new(DeviceKind.Cuda, index) : throw new FormatException($"Invalid device string: '{text}'. Device index must be below {MaxDevices}."),
            _ => throw new FormatException($"Expected one of cpu, cuda device type at start of device string: {text}"),
        };
    }

    /// <summary>PyTorch's spelling: <c>cpu</c> or <c>cuda:N</c> (<c>str(device)</c>).</summary>
    public override string ToString() => Kind switch
    {
        DeviceKind.Cpu => "cpu",
        CheckedKind => "checked",
        _ => "cuda:" + Index.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>
    /// Throws PyTorch's error when <paramref name="a"/> and <paramref name="b"/> differ: an op's operands must all be on
    /// one device (move them with <c>To(device)</c>).
    /// </summary>
    internal static void CheckSame(Device a, Device b, string op)
    {
        if (a.Kind != b.Kind || a.Index != b.Index)
            throw new InvalidOperationException(
                $"Expected all tensors to be on the same device, but found at least two devices, {a} and {b}! " +
                $"(in {op}; move them to one device with To(device))");
    }
}
