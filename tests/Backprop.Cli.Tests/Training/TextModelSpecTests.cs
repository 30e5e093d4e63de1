using System.Text.Json.Nodes;
using static Backprop.Cli.Tests.CliRunner;

namespace Backprop.Cli.Tests.Training;

/// <summary>A language model's model.json (format backprop-charlm/1) goes through the same validating reader: each bad field is named.</summary>
[Collection("cli")]
public sealed class TextModelSpecTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("backprop-charlm-spec-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private const string Valid = """
        {"format":"backprop-charlm/1","dataset":"text","seed":0,"inputs":16,"hidden":[],"model":"transformer","activation":"relu",
         "classes":["\n"," ","a","b","😀"],"mean":[],"std":[],"hyperparameters":{},
         "text":{"file":null,"embed":8,"hidden":16,"layers":1,"heads":2,"dropout":0}}
        """;

    private (int Code, string Out, string Err) Generate(Action<JsonObject> change)
    {
        var json = JsonNode.Parse(Valid)!.AsObject();
        change(json);
        File.WriteAllText(Path.Combine(dir, "model.json"), json.ToJsonString());
        return Run("generate", "--model", dir);
    }

    [Fact]
    public void ValidSpec_GetsAsFarAsTheWeights() =>
        AssertOneLineError(Generate(_ => { }), 1, "model.safetensors");

    [Theory]
    [InlineData("model", "\"gru\"", "field 'model' is \"gru\"")]
    [InlineData("classes", "[]", "field 'classes' is empty")]
    [InlineData("classes", "[\"a\", \"ab\"]", "field 'classes[1]' is \"ab\"; each vocabulary entry is one character")]
    [InlineData("classes", "[\"a\", \"a\"]", "field 'classes[1]' repeats 'a'")]
    [InlineData("text", null, "field 'text' is null")]
    [InlineData("text", "{\"embed\":8,\"hidden\":16,\"layers\":1,\"heads\":3,\"dropout\":0}", "field 'text.heads' is 3, which does not divide text.embed 8")]
    [InlineData("text", "{\"embed\":8,\"hidden\":16,\"layers\":0,\"heads\":2,\"dropout\":0}", "field 'text.layers' is 0")]
    [InlineData("text", "{\"embed\":8,\"hidden\":16,\"layers\":1,\"heads\":2,\"dropout\":1}", "field 'text.dropout' is not a number in [0, 1)")]
    [InlineData("text", "{\"embed\":8,\"layers\":1,\"heads\":2,\"dropout\":0}", "field 'text.hidden' is missing")]
    [InlineData("text", "{\"embed\":2000000,\"hidden\":2000000,\"layers\":64,\"heads\":2,\"dropout\":0}", "more than this tool builds")]
    [InlineData("format", "\"backprop-charlm/2\"", "field 'format'")]
    public void BadField_IsNamed(string field, string? value, string expected) =>
        AssertOneLineError(Generate(j => j[field] = value is null ? null : JsonNode.Parse(value)), 1, "model.json", expected);
}
