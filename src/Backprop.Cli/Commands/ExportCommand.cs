using System.CommandLine;
using Backprop.Cli.Training;
using Backprop.IO;
using Backprop.NN;
using Spectre.Console;

namespace Backprop.Cli.Commands;

/// <summary>
/// <c>backprop export</c>: writes a run folder's model as ONNX. The graph takes the same raw feature rows as
/// <c>predict</c> (model.json's standardization is its first nodes) and gives the class probabilities (a Softmax is
/// its last node); the class names and the scaling formula travel as ONNX metadata.
/// </summary>
internal static class ExportCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var model = new Option<string>("--model", "-m") { Description = "a run folder written by 'backprop train'", Required = true };
        var format = new Option<string>("--format") { Description = "onnx", DefaultValueFactory = _ => "onnx" };
        format.AcceptOnlyFromAmong("onnx");
        var output = new Option<string?>("--out", "-o") { Description = "output file (default RUN_DIR/model.onnx)" };
        var command = new Command("export", "Export a trained model to ONNX (opset 17): raw feature rows in, class probabilities out.") { model, format, output };
        command.SetAction(r =>
        {
            string dir = r.GetValue(model)!;
            var (spec, net) = ModelSpec.Load(dir);
            var path = r.GetValue(output) ?? Path.Combine(dir, "model.onnx");
            var withProbabilities = new Sequential(net, new Softmax(1));
            Onnx.Export(withProbabilities, Tensor.Zeros([1, spec.Inputs]), path, spec.Mean, spec.Std, new Dictionary<string, string>
            {
                ["classes"] = string.Join(',', spec.Classes),
                ["input_scaling"] = spec.InputScaling,
                ["dataset"] = spec.Dataset,
            });
            console.MarkupLine($"wrote [blue]{Markup.Escape(path)}[/]: input 'input' [[batch, {spec.Inputs}]] raw features, output 'output' [[batch, {spec.Classes.Length}]] probabilities of {Markup.Escape(string.Join(", ", spec.Classes))}");
            return App.Ok;
        });
        return command;
    }
}
