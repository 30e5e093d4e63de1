using System.Text;
using System.Text.Json;
using Spectre.Console;

namespace Backprop.Cli.Output;

/// <summary>A titled table of values: the unit of <c>explain</c>'s output, rendered as text, Markdown or JSON.</summary>
internal sealed record Section(string Title, string[] Columns, List<string[]> Rows, string? Note = null);

/// <summary>The JSON form of a report (<c>explain --format json</c>): the title and the sections.</summary>
internal sealed record ReportDocument(string Title, IReadOnlyList<Section> Sections);

internal static class Report
{
    public static void Render(IAnsiConsole console, string format, string title, IReadOnlyList<Section> sections)
    {
        switch (format)
        {
            case "markdown":
                console.Profile.Out.Writer.Write(Markdown(title, sections));
                break;
            case "json":
                console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(new ReportDocument(title, sections), CliJson.Default.ReportDocument));
                break;
            default:
                if (console.Profile.Width >= App.NoWrapWidth) console.MarkupLine($"── [bold]{Markup.Escape(title)}[/] ──"); // not a terminal: no full-width rule
                else console.Write(new Rule($"[bold]{Markup.Escape(title)}[/]"));
                foreach (var s in sections)
                {
                    console.MarkupLine($"[bold]{Markup.Escape(s.Title)}[/]");
                    var table = new Table().Border(TableBorder.Rounded);
                    foreach (var c in s.Columns) table.AddColumn(new TableColumn(Markup.Escape(c)).RightAligned());
                    foreach (var r in s.Rows) table.AddRow(r.Select(Markup.Escape).ToArray());
                    console.Write(table);
                    if (s.Note is not null) console.MarkupLine($"[grey]{Markup.Escape(s.Note)}[/]");
                }
                break;
        }
    }

    public static string Markdown(string title, IReadOnlyList<Section> sections)
    {
        var sb = new StringBuilder($"# {title}\n\n");
        foreach (var s in sections)
        {
            sb.Append($"## {s.Title}\n\n| {string.Join(" | ", s.Columns)} |\n|{string.Concat(s.Columns.Select(_ => " ---: |"))}\n");
            foreach (var r in s.Rows) sb.Append($"| {string.Join(" | ", r)} |\n");
            if (s.Note is not null) sb.Append($"\n{s.Note}\n");
            sb.Append('\n');
        }
        return sb.ToString();
    }
}
