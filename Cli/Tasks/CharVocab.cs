// A character vocabulary: token i is the i-th character of a string, stored in run.json so a checkpoint can be
// sampled without the text it was trained on.
namespace DotGrad.Cli.Tasks;

internal sealed class CharVocab
{
    private readonly Dictionary<char, int> _ids;

    /// <summary>A vocabulary of the distinct characters of <paramref name="chars"/>, in that order.</summary>
    public CharVocab(string chars)
    {
        if (string.IsNullOrEmpty(chars)) throw new ArgumentException("CharVocab: the vocabulary is empty", nameof(chars));
        if (chars.Distinct().Count() != chars.Length) throw new ArgumentException("CharVocab: the vocabulary repeats a character", nameof(chars));
        Chars = chars;
        _ids = chars.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i);
    }

    /// <summary>The vocabulary of a text: its distinct characters sorted by code unit.</summary>
    public static CharVocab FromText(string text) => new(new string(text.Distinct().Order().ToArray()));

    /// <summary>Every character, token id = index.</summary>
    public string Chars { get; }

    public int Size => Chars.Length;

    public bool Contains(char c) => _ids.ContainsKey(c);

    /// <summary>The token ids of <paramref name="text"/>; a character outside the vocabulary is a <see cref="UserError"/> naming <paramref name="what"/>.</summary>
    public int[] Encode(string text, string what)
    {
        var unknown = text.Where(c => !_ids.ContainsKey(c)).Distinct().ToArray();
        if (unknown.Length > 0)
            throw new UserError($"{what} has characters the model's vocabulary lacks: {string.Join(" ", unknown.Take(10).Select(Show))}" +
                                $"{(unknown.Length > 10 ? " ..." : "")}; the vocabulary is {Show(Chars)}");
        return text.Select(c => _ids[c]).ToArray();
    }

    public string Decode(IEnumerable<int> ids) => new(ids.Select(i => Chars[i]).ToArray());

    /// <summary>A character or string as a quoted C#-style literal, so that newlines and spaces are visible.</summary>
    public static string Show(char c) => Show(c.ToString());

    public static string Show(string s)
    {
        const int max = 80;
        var shown = s.Length > max ? s[..max] : s;
        var escaped = shown.Replace("\\", "\\\\").Replace("\n", "\\n").Replace("\r", "\\r").Replace("\t", "\\t").Replace("\"", "\\\"");
        return $"\"{escaped}\"{(s.Length > max ? $" (+{s.Length - max} more)" : "")}";
    }
}
