using System.Text.Json.Serialization;
using Backprop.Cli.Output;
using Backprop.Cli.Training;

namespace Backprop.Cli;

/// <summary>
/// Source-generated System.Text.Json metadata for every type the tool writes or reads as JSON
/// (model.json, <c>explain --format json</c>): no reflection at run time, so the NativeAOT executable
/// serialises exactly as the JIT-run tool does. A new JSON type is added here as one more attribute.
/// </summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ModelSpec))]
[JsonSerializable(typeof(ReportDocument))]
internal sealed partial class CliJson : JsonSerializerContext;
