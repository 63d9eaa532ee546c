// A list of MNIST digits as a user writes it: "0-4", "5,6,7", "0-2,7".
using System.Globalization;

namespace DotGrad.Cli.Data;

internal static class DigitList
{
    /// <summary>
    /// The digits of <paramref name="text"/> (comma-separated digits and inclusive ranges "a-b" with a &lt;= b), each
    /// 0 to 9, each named once, in increasing order. Anything else is a <see cref="UserError"/> naming
    /// <paramref name="option"/>.
    /// </summary>
    public static int[] Parse(string text, string option)
    {
        UserError Bad(string why) => new($"{option} '{text}': {why}. Write digits 0 to 9 and ranges, comma-separated: 0-4, 5,6,7 or 0-2,7");
        if (string.IsNullOrWhiteSpace(text)) throw Bad("no digits given");
        var digits = new SortedSet<int>();
        foreach (var raw in text.Split(','))
        {
            string part = raw.Trim();
            if (part.Length == 0) throw Bad("an empty item between commas");
            var ends = part.Split('-');
            if (ends.Length > 2) throw Bad($"'{part}' is not a digit or a range");
            int first = Digit(ends[0], part), last = ends.Length == 2 ? Digit(ends[1], part) : first;
            if (last < first) throw Bad($"the range '{part}' runs backwards (write {last}-{first})");
            for (int d = first; d <= last; d++)
                if (!digits.Add(d)) throw Bad($"the digit {d} is named twice; name each digit once");
        }
        return digits.ToArray();

        int Digit(string s, string part) =>
            int.TryParse(s.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var d) && d <= 9
                ? d
                : throw Bad($"'{s.Trim()}' in '{part}' is not a digit from 0 to 9");
    }

    /// <summary>The digits as the shortest text <see cref="Parse"/> reads back: runs of three or more as ranges ("0-4,7").</summary>
    public static string Format(IReadOnlyList<int> digits)
    {
        var parts = new List<string>();
        for (int i = 0; i < digits.Count;)
        {
            int j = i;
            while (j + 1 < digits.Count && digits[j + 1] == digits[j] + 1) j++;
            parts.Add(j - i >= 2 ? $"{digits[i]}-{digits[j]}" : string.Join(",", digits.Skip(i).Take(j - i + 1)));
            i = j + 1;
        }
        return string.Join(",", parts);
    }
}
